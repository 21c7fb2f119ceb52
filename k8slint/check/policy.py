"""The rules in force per environment, after the configuration is applied."""

from __future__ import annotations


from ..plan.rules import Rule
from ..plan.settings import Settings
from ..records import record


@record
class ActiveRule:
    """A rule as it runs in one environment: its severity and params after the config and policy."""

    rule: Rule
    severity: str
    params: dict

    def __init__(self, rule: Rule, severity: str, params: dict) -> None:
        self.rule = rule
        self.severity = severity
        self.params = params


class Policy:
    """The rules in force per environment: enabled, severity and params from ``rules:`` of the
    configuration (``settings.rule_config``), per environment, over the rule file's defaults."""

    def __init__(self, rules: dict[str, Rule], settings: Settings, only: set[str] | None = None) -> None:
        self.rules = rules
        self.settings = settings
        self.only = only
        self._cache: dict[str, list[ActiveRule]] = {}

    def active(self, env: str) -> list[ActiveRule]:
        if env in self._cache:
            return self._cache[env]
        out: list[ActiveRule] = []
        for rule in self.rules.values():
            if self.only is not None and rule.id not in self.only:
                continue
            if rule.envs and env not in rule.envs:
                continue
            conf = self.settings.rule_config(rule.id)
            per_env = conf.get("env", {}).get(env, {})
            enabled = per_env.get("enabled", conf.get("enabled", True))
            if not enabled:
                continue
            severity = per_env.get("severity", conf.get("severity", rule.severity))
            params = _merge(_merge(rule.params, conf.get("params", {})), per_env.get("params", {}))
            out.append(ActiveRule(rule, severity, params))
        self._cache[env] = out
        return out

    def severity(self, rule_id: str, env: str) -> str | None:
        for active in self.active(env):
            if active.rule.id == rule_id:
                return active.severity
        return None


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
