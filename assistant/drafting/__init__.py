"""Manual drafting: a brief becomes an outline, each section is built from the manuals' own sentences with their
file and page, a review lists inconsistent terms, conflicting facts and unsourced statements, and the draft is
kept (SQLite) and exported (Markdown, DOCX)."""
