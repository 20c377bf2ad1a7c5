"""Command line: ``python -m helpers {demo-data, validate, map-columns, run}``.

Exit codes: 0 success; 1 a notebook failed (run); 2 a data-contract error (bad file, no key) or a run into a
folder holding the other audience's runs; 3 another run holds the lock on the reports folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_NOTEBOOK_FAILED, EXIT_DATA_ERROR, EXIT_LOCKED = 0, 1, 2, 3


def _demo_data(args: argparse.Namespace) -> int:
    from helpers.io.demo import write_demo_data
    from helpers.io.ingest import _IGNORED, _LOOSE_NAME

    raw = Path(args.raw)  # any file that ingestion would read as interviews, near-miss names included
    existing = [p for p in sorted(raw.iterdir()) if _LOOSE_NAME.match(p.name) and not _IGNORED.search(p.name)
                and p.name.lower().startswith("interviews")] if raw.exists() else []
    if existing and not args.force:
        print(f"{raw}: already holds interview files ({existing[0].name}, ...); not overwriting raw data. "
              "Use --force only for a folder of demo data.", file=sys.stderr)
        return EXIT_DATA_ERROR
    from helpers.studies.nok.demo import write_nok_demo
    from helpers.studies.registers.demo import write_registers_demo

    files = write_demo_data(raw, args.truth, seed=args.seed, recipients=args.recipients)
    nok_truth = Path(args.truth).with_name("nok_truth.json")
    files += write_nok_demo(raw, truth_path=nok_truth)
    files += write_registers_demo(raw)
    print(f"wrote {len(files)} demo files to {raw} (Mystery Guest 2018-2021, НОК 2021 and the centre's registers; truth: {args.truth}, "
          f"{nok_truth})")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from helpers.io.ingest import ingest, merge_with_processed, write_processed
    from helpers.io.pii import COUNTED
    from helpers.narrative.catalogue import text
    from helpers.narrative.privacy import counts_words

    paths = [Path(p) for p in args.paths if not Path(p).is_dir()]
    dirs = [Path(p) for p in args.paths if Path(p).is_dir()]
    raw = dirs[0] if dirs else (paths[0].parent if paths else Path(args.raw))
    result = ingest(raw, years=args.years, paths=paths or None)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    log = result.log
    for row in log.itertuples():
        pii = {k: getattr(row, f"pii_{k}", 0) for k in COUNTED}
        print(f"{row.file}: {row.rows_read} rows read = {row.rows_accepted} accepted + {row.rows_quarantined} quarantined"
              + (f"; {text('privacy.replaced', 'en', counts=counts_words(pii, 'en'))}" if any(pii.values()) else ""))
        for w in filter(None, row.warnings.split("; ")):
            print(f"warning: {w}", file=sys.stderr)
    for row in result.quarantine.head(20).itertuples():
        print(f"  quarantined {row.file} row {row.row} column {row.column}: {row.reason}")
    if len(result.quarantine) > 20:
        print(f"  ... and {len(result.quarantine) - 20} more quarantined rows (see quarantine.parquet)")
    if not args.dry_run:
        kept: list[int] = []
        if paths or args.years:  # only some files or years: the others stay as they were in --out
            result, kept = merge_with_processed(result, args.out)
        written = write_processed(result, args.out)
        done = sorted(int(y) for y in log["year"])
        print(f"wrote {len(written)} files to {args.out} (years {', '.join(map(str, done))} updated"
              + (f"; {', '.join(map(str, kept))} kept from the previous ingestion)" if kept else ")"))
    return EXIT_OK


def _map_columns(args: argparse.Namespace) -> int:
    from helpers.io.codebook import load_codebook
    from helpers.io.columns import explain_unmatched, mapping_file, read_mapping, save_mapping
    from helpers.io.ingest import _LOOSE_NAME, DataContractError, _matcher, read_source

    path = Path(args.file)
    m = _LOOSE_NAME.match(path.name)
    kind = args.kind or (m.group(1).lower() if m else "interviews")
    cb = load_codebook()
    mapping = read_mapping(path)
    table = read_source(path, kind, cb, mapping)
    matches = _matcher(kind, cb).match_all(list(table.frame.columns), mapping)
    print(f"{path} ({kind}; header on line/row {table.header_line}):")
    width = max((len(x.header) for x in matches), default=10)
    for x in matches:
        target = x.column or "?"
        extra = "" if x.column else "  <- " + explain_unmatched(x)
        print(f"  {x.header:<{width}}  -> {target:<22} [{x.rule}]{extra}")
    unmatched = [x for x in matches if x.column is None]
    if args.save:
        mf = save_mapping(path, matches)
        print(f"saved {mf}" + (f"; fill in the {len(unmatched)} blank entries" if unmatched else ""))
    elif mapping_file(path).exists():
        print(f"(mapping file in use: {mapping_file(path)})")
    if unmatched and not args.save:
        raise DataContractError(f"{path}: {len(unmatched)} headers match no column (first: '{unmatched[0].header}'); "
                                "run with --save and fill in the mapping file")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from helpers.pipeline import run_pipeline

    return run_pipeline(
        years=args.years, raw_dir=Path(args.raw), out_dir=Path(args.out), lang=args.lang,
        jobs=args.jobs, audience=args.audience, processed_dir=Path(args.processed), notebooks=args.notebooks,
        truth_path=Path(args.truth), force=args.force, formats=args.formats,
    )


def _docs(args: argparse.Namespace) -> int:
    from helpers.narrative.methods_doc import write_methods_doc

    print(f"wrote {write_methods_doc()}")
    return EXIT_OK


def _formats(value: str) -> tuple[str, ...]:
    from helpers.pipeline.documents import parse_formats

    try:
        return parse_formats(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m helpers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo-data", help="write deterministic demo raw data reproducing the published figures")
    d.add_argument("--seed", type=int, default=2018)
    d.add_argument("--recipients", type=int, default=None, help="recipients per year (scale up for benchmarks)")
    d.add_argument("--raw", default="data/raw")
    d.add_argument("--truth", default="data/demo/truth.json")
    d.add_argument("--force", action="store_true", help="write even if the folder holds interview files")
    d.set_defaults(func=_demo_data)
    v = sub.add_parser("validate", help="validate, quarantine and pseudonymise raw files into data/processed")
    v.add_argument("paths", nargs="*", help="raw folder or files (default: --raw); with files (or --years) only "
                   "their years are replaced in --out, the other years stay")
    v.add_argument("--raw", default="data/raw")
    v.add_argument("--out", default="data/processed")
    v.add_argument("--years", type=int, nargs="*")
    v.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    v.set_defaults(func=_validate)
    mc = sub.add_parser("map-columns", help="show how a raw file's headers map to columns; --save writes a mapping file")
    mc.add_argument("file")
    mc.add_argument("--kind", choices=["interviews", "workers", "interviewers", "strata"], default=None,
                    help="the kind of table (default: from the file name)")
    mc.add_argument("--save", action="store_true",
                    help="write <file>.columns.yaml beside the file (used by ingestion for headers no rule catches)")
    mc.set_defaults(func=_map_columns)
    r = sub.add_parser("run", help="ingest and render every report into reports/<run-id>/ "
                       "(internal audience: reports/internal/<run-id>/)")
    r.add_argument("--years", type=int, nargs="*", default=None,
                   help="survey years (default: every year with an interview file in --raw)")
    r.add_argument("--raw", default="data/raw")
    r.add_argument("--processed", default="data/processed")
    r.add_argument("--out", default="reports", help="reports folder (internal runs go to its internal/)")
    r.add_argument("--lang", choices=["en", "ru"], default="en")
    r.add_argument("--audience", choices=["public", "internal"], default="public",
                   help="public: workers as codes, cells with n<5 suppressed, no comments; internal: names shown, "
                   "written to <out>/internal/ readable by the owner only")
    r.add_argument("--jobs", type=int, default=1, help="notebooks executed in parallel")
    r.add_argument("--truth", default="data/demo/truth.json", help="planted truth of the demo data (if any)")
    r.add_argument("--notebooks", nargs="*", default=None, help="only these notebooks (names without .ipynb)")
    r.add_argument("--force", action="store_true",
                   help="execute every notebook, even those whose inputs, parameters and code are unchanged")
    r.add_argument("--formats", default="html", type=_formats,
                   help="comma-separated: html (always), pdf, docx - the summary and НОК reports as documents beside "
                   "their pages, and with docx one improvement plan per НОК organisation in plans/ (default: html)")
    r.set_defaults(func=_run)
    sub.add_parser("docs", help="rewrite docs/methods.md from helpers.narrative.methods").set_defaults(func=_docs)
    return p


def main(argv: list[str] | None = None) -> int:
    from helpers.io.ingest import DataContractError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataContractError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_DATA_ERROR


def _exit(code: int) -> None:
    """Flush and leave without interpreter teardown.

    A failed read can leave native worker threads (pyarrow's CPU pool, used by its CSV reader) alive;
    tearing them down during interpreter finalisation occasionally aborted the process with
    ``terminate called without an active exception`` (exit 134) after the error line was printed.
    ``os._exit`` after flushing skips that teardown; nothing is left to write at this point. Measured
    (18 MB CSV with a broken row in the middle, 4 runs in parallel on 2 cores): the previous code
    aborted with 134 in 1 of 240 error runs; this code exited 2 in 240 of 240, and in 150 of 150 with
    a 45 MB file (which still uses pyarrow's thread pool).
    """
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
