"""JSON: the machine-readable contract (schemas/output.schema.json). Paths are relative to the
repository root, which ``repo_root`` gives. A finding several targets render lists them all in
``targets`` (``target``/``env`` are the first); with ``--diff-base`` the findings are the new ones
(``baselineState: new``) and ``summary.unchanged`` counts those the base has too."""

from __future__ import annotations

from . import Formatter, write_json


class JsonFormatter(Formatter):
    def finish(self, summary: dict) -> None:
        run = self.run
        document = {
            "version": run.version,
            "repo_root": run.repo_root,
            "findings": [f.to_dict() for f in self.findings],
            "targets": [
                {"target": t.label, "kind": t.kind, "env": t.env, "envSource": t.env_source, "objects": t.objects, "failed": t.failed}
                for t in run.targets
            ],
            "notes": run.notes,
            "summary": summary,
        }
        if run.diff_base:
            document["diff_base"] = run.diff_base
        write_json(self.out, document)
