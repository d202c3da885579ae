"""How work runs: forked processes on a second core, the garbage collector during a build."""
