from __future__ import annotations

from infrarep import docs
from infrarep.app import maintenance

VARIABLES = """
variable "name" {
  type        = string
  description = "Table name, e.g. \\"x\\"."
}

variable "size" {
  type        = list(object({ a = string }))
  description = "Sizes | pipes are escaped."
  default     = []
}
"""

OUTPUTS = """
output "arn" {
  description = "The ARN."
  value       = aws_x.this.arn
}
"""


def test_required_inputs_come_first_and_values_are_readable(tmp_path):
    (tmp_path / "variables.tf").write_text(VARIABLES)
    (tmp_path / "outputs.tf").write_text(OUTPUTS)
    text = docs.tables(tmp_path)
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows[0] == '| `name` | `string` | required | Table name, e.g. "x". |'
    assert rows[1].startswith("| `size` | `list(object({")
    assert "Sizes \\| pipes are escaped." in rows[1]
    assert rows[2] == "| `arn` | The ARN. |"


def test_only_the_generated_section_is_replaced():
    readme = f"# m\n\nHand-written.\n\n{docs.BEGIN}\nold\n{docs.END}\n\nFooter.\n"
    updated = docs.updated_readme(readme, f"{docs.BEGIN}\nnew\n{docs.END}\n")
    assert updated == f"# m\n\nHand-written.\n\n{docs.BEGIN}\nnew\n{docs.END}\n\nFooter.\n"
    assert docs.updated_readme("# m\n", "GEN\n") == "# m\n\nGEN\n"


def test_the_docs_use_case_lists_stale_readmes_then_writes_them(tmp_path):

    for name in ("ledger", "topic"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "variables.tf").write_text(VARIABLES)
    (tmp_path / "topic" / "README.md").write_text("# topic\n\nHand-written.\n")
    stale = [tmp_path / "ledger" / "README.md", tmp_path / "topic" / "README.md"]

    assert maintenance.docs(maintenance.DocsOptions(check=True, modules=tmp_path)) == stale
    assert not stale[0].exists()  # a check writes nothing
    assert maintenance.docs(maintenance.DocsOptions(modules=tmp_path)) == stale
    assert stale[1].read_text().startswith("# topic\n\nHand-written.\n")
    assert "| `name` | `string` | required |" in stale[0].read_text()
    assert maintenance.docs(maintenance.DocsOptions(check=True, modules=tmp_path)) == []
