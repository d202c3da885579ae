"""`pmkb import`: existing incident reports (HTML, Markdown, plain text, e-mail) turned into draft postmortems.

MkDocs-free, like the rest of the core. The pipeline, one module a step:

- `reading`: files and folders -> `Source`s (bytes checked: size, binary, encoding), or a `Failure` each;
- `mail`, `html`, `plaintext`, `markdown`: a source's format -> `Document` (title, Markdown body, hints);
- `sanitize`: no raw HTML, no `javascript:` links survive into the Markdown;
- `sections`: the Markdown as a list of sections, mapped onto the recommended ones;
- `timeline`: the stated time zone, the timestamped events, and started/detected/mitigated/resolved;
- `actions`: action items from the follow-up sections;
- `details`: title, date, authors, severity and services, where the document says them;
- `foreign`: the source's own front matter mapped onto ours, and what has no home kept for the Source section;
- `notreport`: is it a license, a README or an empty template rather than an incident report?
- `runbook`: is it a procedure rather than an incident?
- `draft`: the front matter and the tidied body, and which fields were found or left to fill;
- `writing`: atomic, never-overwriting writes, and which sources were already imported (by fingerprint).
"""
