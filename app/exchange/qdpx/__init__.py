"""REFI-QDA projects (.qdpx): export a study, import another program's project as a new study.

- `export_qdpx(study, user_id=...)`: the study's codebook, participants (Cases with
  Variables), sessions (TextSources with plain-text files, layout in `app.exchange.qdpx.layout`),
  codings (PlainTextSelections), coding memos and synthesis statements (Notes).
- `import_qdpx(data, filename=..., owner_id=..., language=...)`: a new study and a report
  of what could not be mapped, or a `QdpxError` naming the file, member and line, with
  nothing stored.

Import mapping: one TextSource is one session; our own block restores passages exactly,
other texts are split one passage per line (`layout.split_lines`). A selection is clipped
to the passage text it covers and split into one coding per passage when it spans
several. Coders are matched to accounts by display name. Our own study data note
(`study_block.py`) brings consents, withdrawn quotes and statements back. Not mapped
(reported): PDF, picture, audio and video sources, codings of whole sources or cases, notes
not attached to a coded selection, sets, links, graphs, narratives, seating, validation rounds.
"""

from app.exchange.qdpx.archive import QdpxError
from app.exchange.qdpx.export import export_qdpx
from app.exchange.qdpx.store import ImportResult, import_qdpx

__all__ = ["ImportResult", "QdpxError", "export_qdpx", "import_qdpx"]
