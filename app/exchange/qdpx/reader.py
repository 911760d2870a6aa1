"""Reading a checked project.qde into a plan of what to store: pure, no database.

Every hard error is raised here, before anything is stored. Things that can be
skipped (media sources, unattached notes, sets) become warnings in the plan.
"""

from __future__ import annotations

import bisect
import unicodedata
from copy import deepcopy

from flask_babel import lazy_gettext as _l
from lxml import etree

from analysis import normalise_text
from app.exchange.codebook_block import is_container, read_container
from app.exchange.codebook_qdc import (
    MAX_LABEL,
    CodebookEntry,
    CodebookFormatError,
    _assign_keys,
    _entry,
    _walk,
    canonical_guid,
)
from app.exchange.codebook_qdc import NS as CODEBOOK_NS
from app.exchange.qdpx.archive import (
    MAX_SOURCE_BYTES,
    PROJECT_MEMBER,
    Archive,
    QdpxError,
    q,
    unsafe_name,
)
from app.exchange.qdpx.layout import (
    Turn,
    normalise_with_offsets,
    parse_passage_field,
    read_block,
    split_lines,
    turns_fit,
)
from app.exchange.qdpx.plan import (
    MAX_MEMO,
    MAX_PSEUDONYM,
    UNATTRIBUTED,
    UNATTRIBUTED_NAMES,
    Plan,
    PlanCase,
    PlanCoding,
    PlanSource,
    _unique,
    _variable_value,
    repeated_guid,
)
from app.exchange.qdpx.report import MEDIA_KINDS, Report
from app.exchange.qdpx.study_block import is_study_block, read_study_block
from app.platform.config import LANGUAGES
from app.platform.forms import pseudonym_key


class Reader:
    """Read one project; `read()` returns the plan or raises QdpxError."""

    def __init__(
        self, archive: Archive, root: etree._Element, *, language: str, default_phase: int
    ) -> None:
        self.archive, self.root, self.source = archive, root, archive.source
        self.language, self.default_phase = language, default_phase
        self.report = Report(self.source)
        self.whole_codings = 0

    def error(self, problem, line: int | None) -> QdpxError:
        return QdpxError(self.source, problem, member=PROJECT_MEMBER, line=line)

    def read(self) -> Plan:
        self._check_guids()
        self.notes = self._notes()
        entries = self._codebook()
        self.codes = {entry.guid for entry in entries}
        self.users = {
            canonical_guid(user.get("guid")): " ".join((user.get("name") or "").split())
            for user in self.root.iterfind(f"{q('Users')}/{q('User')}")
        }
        self.used_notes: set[str] = set()
        cases = self._cases()
        sources = []
        for element in self.root.iterfind(f"{q('Sources')}/*"):
            plan = self._source(element)
            if plan is not None:
                sources.append(plan)
        if any(t.participant == UNATTRIBUTED for s in sources for t in s.turns):
            cases.append(PlanCase(UNATTRIBUTED, self.unattributed_name, {}))
        if self.study_block is not None:  # each statement's own Note is its readable copy
            self.used_notes |= {s.guid for s in self.study_block.statements}
        self._leftovers()
        visible, fields = read_block(self.root.findtext(q("Description")) or "")
        language = dict(fields or []).get("language")
        return Plan(
            title=self.root.get("name", ""),
            description=visible,
            language=language,
            entries=entries,
            cases=cases,
            sources=sources,
            warnings=self.report.warnings,
            source=self.source,
            study_block=self.study_block,
        )

    # --- identity ------------------------------------------------------------------------

    def _check_guids(self) -> None:
        if repeated := repeated_guid(self.root):
            guid, first, line = repeated
            problem = _l(
                "the GUID %(guid)s is used again (first at line %(first)d); every object "
                "needs its own. Export the project again.",
                guid=guid,
                first=first,
            )
            raise self.error(problem, line)

    def _codebook(self) -> list[CodebookEntry]:
        """Read the codes with the .qdc rules (keys, labels, hierarchy, colours, GUIDs)."""
        codes = self.root.find(f"{q('CodeBook')}/{q('Codes')}")
        if codes is None:
            return []
        copy = deepcopy(codes)  # keeps source lines; retag into the codebook namespace
        for element in copy.iter(etree.Element):
            element.tag = f"{{{CODEBOOK_NS}}}{etree.QName(element).localname}"
        try:
            walked = _walk(copy, self.source, self.container)
            keys = _assign_keys(walked, self.source)
            entries = []
            for code, key in zip(walked, keys, strict=True):
                parent = None if code.parent is None else keys[code.parent]
                entries.append(_entry(code, key, parent, self.language))
        except CodebookFormatError as error:
            raise self.error(error.message, error.line) from error
        except ValueError as error:  # a colour or seed term the codebook rules refuse
            raise self.error(str(error), codes.sourceline) from error
        for entry, code in zip(entries, walked, strict=True):
            if any(len(getattr(entry, f"label_{lang}")) > MAX_LABEL for lang in LANGUAGES):
                problem = _l(
                    "the code name is longer than %(max)d characters; shorten it.", max=MAX_LABEL
                )
                raise self.error(problem, code.element.sourceline)
        return entries

    # --- notes and cases -----------------------------------------------------------------

    def _notes(self) -> dict[str, tuple[str, int]]:
        """Return the notes by GUID; our codebook container is kept apart (`self.container`)."""
        notes, self.container, self.study_block = {}, {}, None
        for note in self.root.iterfind(f"{q('Notes')}/{q('Note')}"):
            text = note.findtext(q("PlainTextContent"))
            if text is None and note.get("plainTextPath"):
                path = self._member(note.get("plainTextPath"), note.sourceline)
                text = self._read_text(path, note.sourceline) if path else ""
            text = normalise_text(text or "")  # a text file can hold NUL; XML cannot
            if is_container(text):
                self.container = read_container(text)
                continue
            if is_study_block(text):  # our consents and statements: see study_block.py
                self.study_block = read_study_block(text)
                continue
            notes[canonical_guid(note.get("guid"))] = (text, note.sourceline)
        return notes

    def _cases(self) -> list[PlanCase]:
        variables = {
            canonical_guid(v.get("guid")): v.get("name", "").strip()
            for v in self.root.iterfind(f"{q('Variables')}/{q('Variable')}")
        }
        cases, taken = [], set()
        for number, case in enumerate(self.root.iterfind(f"{q('Cases')}/{q('Case')}"), start=1):
            wanted = " ".join(unicodedata.normalize("NFC", case.get("name") or "").split())
            wanted = "".join(c for c in wanted if unicodedata.category(c) != "Cc")
            wanted = wanted[:MAX_PSEUDONYM] or f"Case {number}"
            pseudonym = _unique(wanted, taken)
            if pseudonym != wanted:
                self.report.case_renamed(case.sourceline, wanted, pseudonym)
            attributes = {}
            for value in case.iterfind(q("VariableValue")):
                name = variables.get(canonical_guid(value.find(q("VariableRef")).get("targetGUID")))
                if not name:
                    self.report.value_without_variable(value.sourceline)
                    continue
                attributes[name] = _variable_value(value)
            cases.append(PlanCase(canonical_guid(case.get("guid")), pseudonym, attributes))
        self.case_keys = {pseudonym_key(c.pseudonym): c.key for c in cases}
        wanted = UNATTRIBUTED_NAMES.get(self.language, "Unattributed")
        self.unattributed_name = _unique(wanted, set(self.case_keys))
        self.case_sources: dict[str, list[str]] = {}
        for case in self.root.iterfind(f"{q('Cases')}/{q('Case')}"):
            for ref in case.iterfind(q("SourceRef")):
                target = canonical_guid(ref.get("targetGUID"))
                self.case_sources.setdefault(target, []).append(canonical_guid(case.get("guid")))
        self.known_cases = {c.key for c in cases}
        return cases

    # --- sources -------------------------------------------------------------------------

    def _source(self, element: etree._Element) -> PlanSource | None:
        kind = etree.QName(element).localname
        name = element.get("name") or element.get("guid")
        if kind != "TextSource":
            self.report.media_source(element.sourceline, str(MEDIA_KINDS[kind]), name)
            return None
        raw = element.findtext(q("PlainTextContent"))
        path = element.get("plainTextPath")
        if path:
            member = self._member(path, element.sourceline)
            if member is None:
                self.report.external_source(element.sourceline, name, path)
                return None
            raw = self._read_text(member, element.sourceline)
        if raw is None:
            self.report.no_plain_text(element.sourceline, name)
            return None
        selections = self._selections(element, len(raw))
        text, offsets = normalise_with_offsets(raw)
        visible, fields = read_block(element.findtext(q("Description")) or "")
        turns = self._turns(element, name, text, offsets, fields)
        plan = PlanSource(name=name, fields=dict(fields or []), text=text, turns=turns)
        plan.guid = canonical_guid(element.get("guid"))
        if not (fields and turns_fit(turns, text)):
            plan.fields = {"title": name}
        self._map_selections(plan, selections, offsets)
        self.whole_codings += len(element.findall(q("Coding")))
        return plan

    def _member(self, path: str, line: int) -> str | None:
        """Return the zip member of an `internal://` (or bare) path; None if it is external."""
        if path.startswith(("absolute://", "relative://", "file:", "http://", "https://")):
            return None
        name = path.removeprefix("internal://")
        member = name if name.startswith("sources/") else f"sources/{name}"
        if unsafe_name(name) or unsafe_name(member):
            problem = _l("the file path %(path)s points outside the archive.", path=path)
            raise self.error(problem, line)
        return member

    def _read_text(self, member: str, line: int) -> str:
        data = self.archive.read(member, MAX_SOURCE_BYTES, line=line)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            problem = _l(
                "this text is not UTF-8 (REFI-QDA text sources are); export the project again."
            )
            raise QdpxError(self.source, problem, member=member) from error

    def _selections(self, source: etree._Element, length: int) -> list[tuple]:
        """Check positions and code references; return (start, end, codes, memo, coder)."""
        found = []
        for selection in source.iterfind(q("PlainTextSelection")):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            line = selection.sourceline
            if not 0 <= start <= end <= length:
                problem = _l(
                    "the selection %(guid)s has positions %(start)d–%(end)d, outside the text "
                    "of its source (0–%(length)d characters) or reversed.",
                    guid=selection.get("guid"),
                    start=start,
                    end=end,
                    length=length,
                )
                raise self.error(problem, line)
            codes = []
            for coding in selection.iterfind(q("Coding")):
                ref = coding.find(q("CodeRef"))
                guid = canonical_guid(ref.get("targetGUID"))
                if guid not in self.codes:
                    problem = _l(
                        "this coding refers to the code %(guid)s, which is not in the "
                        "project's codebook.",
                        guid=ref.get("targetGUID"),
                    )
                    raise self.error(problem, ref.sourceline)
                codes.append((guid, coding))
            if not codes:  # an annotation without a code: its notes count as unattached
                continue
            refs = list(selection.iterfind(q("NoteRef")))
            refs += [r for _guid, c in codes for r in c.iterfind(q("NoteRef"))]
            # QualCoder, NVivo and MAXQDA keep a coding memo in the selection's Description.
            described = normalise_text(selection.findtext(q("Description")) or "").strip()
            memo = self._memo(refs, line, [described] if described else [])
            user = selection.get("creatingUser") or codes[0][1].get("creatingUser")
            coder = self.users.get(canonical_guid(user), "") if user else ""
            found.append((start, end, [g for g, _c in codes], memo, coder))
        return found

    def _memo(self, refs: list[etree._Element], line: int, texts: list[str]) -> str:
        for ref in refs:
            guid = canonical_guid(ref.get("targetGUID"))
            if guid not in self.notes:
                self.report.missing_note(ref.sourceline)
                continue
            self.used_notes.add(guid)
            if self.notes[guid][0] and self.notes[guid][0] not in texts:
                texts.append(self.notes[guid][0])
        memo = "\n\n".join(texts)
        if len(memo) > MAX_MEMO:
            self.report.long_memo(line, MAX_MEMO)
            memo = normalise_text(memo[:MAX_MEMO])
        return memo

    def _turns(self, element, name: str, text: str, offsets, fields) -> list[Turn]:
        """Passages from our block when it fits the text, else one per line."""
        if fields is not None:
            turns = [parse_passage_field(v) for k, v in fields if k == "passage"]
            if all(turns):
                for turn in turns:
                    if offsets is not None and 0 <= turn.start <= turn.end < len(offsets):
                        turn.start, turn.end = offsets[turn.start], offsets[turn.end]
                    if turn.participant is not None and turn.participant not in self.known_cases:
                        # Another program re-keyed the cases (QualCoder does): the speaker's
                        # name still opens the turn's line.
                        line = text.rfind("\n", 0, turn.start) + 1
                        label = text[line : turn.start].removesuffix(": ")
                        turn.participant = self.case_keys.get(pseudonym_key(label), UNATTRIBUTED)
                if turns_fit(turns, text):
                    return turns
            self.report.block_mismatch(name)
        owners = self.case_sources.get(canonical_guid(element.get("guid")), [])
        default = owners[0] if len(owners) == 1 else UNATTRIBUTED
        turns, headed = split_lines(
            text,
            self.case_keys,
            default_phase=self.default_phase,
            default_speaker=default,
            unknown_speaker=UNATTRIBUTED,
        )
        if turns and not headed:
            self.report.no_headings(name, self.default_phase)
        unattributed = sum(t.participant == UNATTRIBUTED for t in turns)
        if unattributed:
            self.report.unattributed(unattributed, name, self.unattributed_name)
        for turn in turns:  # a passage's text must be stored as it is in the file
            if normalise_text(text[turn.start : turn.end]) != text[turn.start : turn.end]:
                turn.end = turn.start + len(text[turn.start : turn.end].rstrip())
        return turns

    def _map_selections(self, plan: PlanSource, selections: list[tuple], offsets) -> None:
        """Clip each selection to the passages it covers; split it when it covers several."""
        starts = [turn.start for turn in plan.turns]
        split = clipped = empty = 0
        for raw_start, raw_end, codes, memo, coder in selections:
            start, end = raw_start, raw_end
            if offsets is not None:
                start, end = offsets[raw_start], offsets[raw_end]
            parts = []
            index = max(bisect.bisect_right(starts, start) - 1, 0)
            while index < len(plan.turns) and plan.turns[index].start < end:
                turn = plan.turns[index]
                low, high = max(start, turn.start), min(end, turn.end)
                if low < high:
                    parts.append((index, low - turn.start, high - turn.start))
                index += 1
            if not parts:
                empty += 1
                continue
            covered = sum(high - low for _i, low, high in parts)
            if len(parts) > 1:
                split += 1
            elif covered < end - start:
                clipped += 1
            for guid in codes:
                for index, low, high in parts:
                    plan.codings.append(PlanCoding(index, low, high, guid, memo, coder))
        if split:
            self.report.split(split, plan.name)
        if clipped:
            self.report.clipped(clipped, plan.name)
        if empty:
            self.report.uncovered(empty, plan.name)

    def _leftovers(self) -> None:
        """Warn about what exists in the project but has no place in a study."""
        whole = self.whole_codings + sum(
            1 for _c in self.root.iterfind(f"{q('Cases')}/{q('Case')}/{q('CodeRef')}")
        )
        if whole:
            self.report.whole_codings(whole)
        unattached = len(set(self.notes) - self.used_notes)
        if unattached:
            self.report.unattached_notes(unattached)
        extras = sum(
            len(self.root.findall(f"{q(group)}/*")) for group in ("Sets", "Links", "Graphs")
        )
        if extras:
            self.report.extras(extras)
