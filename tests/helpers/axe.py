"""axe-core (vendored under e2e/vendor) run in a Playwright page: the WCAG 2.1 AA
rules and axe's best practices, with each violation's rule and first targets."""

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "e2e" / "vendor" / "axe-4.14.1.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page: Any) -> list[str]:
    """'rule: target, target' for each violation on the page as it is now."""
    # evaluate() runs outside the page's CSP, which forbids injected scripts.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", RULES
    )
    return [
        f"{violation['id']}: " + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results["violations"]
    ]
