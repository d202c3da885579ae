import sys

from pmkb.cli.main import main

sys.exit(main())
