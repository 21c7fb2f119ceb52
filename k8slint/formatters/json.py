"""JSON: the machine-readable contract (schemas/output.schema.json)."""

from __future__ import annotations

import json

from . import Formatter


class JsonFormatter(Formatter):
    def finish(self, summary: dict) -> None:
        run = self.run
        document = {
            "version": run.version,
            "findings": [f.to_dict() for f in self.findings],
            "targets": [
                {"target": t.label, "kind": t.kind, "env": t.env, "envSource": t.env_source, "objects": t.objects, "failed": t.failed}
                for t in run.targets
            ],
            "notes": run.notes,
            "summary": summary,
        }
        json.dump(document, self.out, indent=2, sort_keys=False, ensure_ascii=False)
        self.out.write("\n")
