"""axe-core (from npm: the README's test command installs it) run on a page open in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"

RUN = """
var done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(function (result) {
  done(result.violations.map(function (rule) {
    return rule.id + ' (' + rule.impact + ', ' + rule.nodes.length + '): ' +
      rule.nodes.slice(0, 3).map(function (node) { return node.target.join(' '); }).join('; ');
  }));
}, function (problem) { done(['axe-core failed: ' + problem]); });
"""


def violations(browser) -> list[str]:
    """Every rule axe-core's default run (WCAG 2.x A and AA, and its best practices) finds broken on the
    page open in ``browser``, with how many elements and the first few."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed ({AXE}): the README's test command runs npm ci first")
    browser.set_script_timeout(120)
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    return browser.execute_async_script(RUN)
