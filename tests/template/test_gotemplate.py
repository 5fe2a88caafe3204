"""The Go-template subset renderer: what it renders, and that it refuses everything else."""

from __future__ import annotations

import pytest

from bundleops.localcli.template import TemplateError, path_match, render_string, render_tree

VALUES = {"name": "orders", "ci": "github", "empty": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a {{.name}} b", "a orders b"),
        ("{{ .name }}", "orders"),
        ('{{"{{job.run_id}}"}}', "{{job.run_id}}"),
        ("{{`{{raw}}`}}", "{{raw}}"),
        ('{{"a\\"b"}}', 'a"b'),
        ("x{{/* a comment */}}y", "xy"),
        ("a  \n {{- .name -}} \n  b", "aordersb"),
        ('{{if eq .ci "github"}}yes{{else}}no{{end}}', "yes"),
        ('{{if ne .ci "github"}}yes{{else}}no{{end}}', "no"),
        ("{{if .empty}}set{{else}}unset{{end}}", "unset"),
        ('{{if eq .ci "github"}}{{if .name}}both{{end}}{{end}}', "both"),
        ('{{if eq .ci .ci}}same{{end}}', "same"),
        ("${workspace.file_path}", "${workspace.file_path}"),
    ],
)
def test_supported_constructs(text, expected):
    assert render_string(text, VALUES) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{range .items}}x{{end}}", "unsupported"),
        ('{{template "x" .}}', "unsupported"),
        ("{{.name | upper}}", "unsupported"),
        ("{{upper .name}}", "unsupported"),
        ("{{if and .name .ci}}x{{end}}", "unsupported condition"),
        ('{{if eq .ci "a" "b"}}x{{end}}', "unsupported condition"),
        ('{{if .name}}a{{else if .ci}}b{{end}}', "no else-if"),
        ("{{$x := .name}}", "unsupported"),
        ("{{with .name}}x{{end}}", "unsupported"),
        ("{{.missing}}", 'variable "missing" not defined'),
        ("{{.name", "unclosed action"),
        ("{{if .name}}x", "without {{end}}"),
        ("{{end}}", "unexpected"),
        ("{{skip .name}}", "skip takes one string literal"),
        ('{{skip "x"}}', "only available in template files"),
        ('{{"\\x41"}}', "unsupported escape"),
        ("{{.name.sub}}", "unsupported"),
        ("{{(.name)}}", "unsupported"),
    ],
)
def test_anything_else_fails_loudly(text, message):
    with pytest.raises(TemplateError, match=message.replace("{", r"\{").replace("|", r"\|")):
        render_string(text, VALUES)


def test_path_match_follows_go_path_match():
    assert path_match("p/.github", "p/.github")
    assert path_match("p/*.yml", "p/a.yml")
    assert not path_match("p/*.yml", "p/sub/a.yml")
    assert path_match("p/?.yml", "p/a.yml")
    with pytest.raises(TemplateError, match="character classes"):
        path_match("p/[ab].yml", "p/a.yml")


def _template(tmp_path, files: dict[str, str]):
    root = tmp_path / "tpl"
    (root / "template").mkdir(parents=True)
    (root / "databricks_template_schema.json").write_text(
        '{"properties": {"name": {"type": "string"}, "ci": {"type": "string", "enum": ["a", "b"]}}}'
    )
    for relative, content in files.items():
        path = root / "template" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def test_tree_rules_skip_tmpl_suffix_and_verbatim_copies(tmp_path):
    root = _template(
        tmp_path,
        {
            "__preamble.tmpl": '{{skip "__preamble"}}{{if ne .ci "a"}}{{skip "{{.name}}/only_a"}}{{end}}',
            "{{.name}}/plain.txt": "kept {{.name}} as is",
            "{{.name}}/rendered.txt.tmpl": "hello {{.name}}",
            "{{.name}}/only_a/file.tmpl": "{{.undefined}}",
            "{{.name}}/sub/local.tmpl": '{{skip "*.log"}}x',
            "{{.name}}/sub/drop.log": "dropped",
        },
    )
    out = tmp_path / "out"
    out.mkdir()
    written = render_tree(root, {"name": "proj", "ci": "b"}, out)
    assert written == ["proj/plain.txt", "proj/rendered.txt", "proj/sub/local"]
    assert (out / "proj/plain.txt").read_text() == "kept {{.name}} as is"
    assert (out / "proj/rendered.txt").read_text() == "hello proj"
    # a skipped directory is not even rendered (its file would fail on .undefined)
    assert not (out / "proj/only_a").exists()
    with pytest.raises(TemplateError, match='variable "undefined" not defined'):
        render_tree(root, {"name": "proj2", "ci": "a"}, out)


def test_existing_files_are_not_overwritten(tmp_path):
    root = _template(tmp_path, {"{{.name}}/f.tmpl": "new"})
    out = tmp_path / "out"
    (out / "p").mkdir(parents=True)
    (out / "p/f").write_text("mine")
    with pytest.raises(TemplateError, match="already exist"):
        render_tree(root, {"name": "p", "ci": "a"}, out)
    assert (out / "p/f").read_text() == "mine"
