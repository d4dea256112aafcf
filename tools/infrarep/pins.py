"""Every pinned external version infrarep builds or expects, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderPin:
    """A Terraform provider built from the Go module proxy when the registry is unreachable.

    The provider repository tags releases as v5.x/v6.x, which are not valid Go versions for
    its module path, so the build uses the pseudo-version of a commit; `version` is the
    registry release that commit belongs to, and names the filesystem-mirror entry.
    """

    source: str
    version: str
    go_module: str
    go_version: str
    commit: str

    @property
    def binary_name(self) -> str:
        return f"terraform-provider-{self.source.rsplit('/', 1)[1]}_v{self.version}_x5"


@dataclass(frozen=True)
class GoToolPin:
    """A CLI built from the Go module proxy (`go mod download`, copy, `go build`)."""

    go_module: str
    go_version: str
    package: str
    binary: str


# Named 6.48.0 in the mirror because the commit's CHANGELOG heads "6.48.0 (Unreleased)": it
# ships in that release. A 6.x commit because the Go module proxy this project builds from
# serves no 5.x one ("This module version is not available").
AWS_PROVIDER = ProviderPin(
    source="registry.terraform.io/hashicorp/aws",
    version="6.48.0",
    go_module="github.com/hashicorp/terraform-provider-aws",
    go_version="v1.60.1-0.20260602190131-5f2286d6d836",
    commit="5f2286d6d836",
)

# Built only when no terraform >= MIN_TERRAFORM (or tofu) is on PATH. hashicorp/terraform's
# module zips miss the nested modules its `replace` directives name; OpenTofu builds cleanly
# and writes the same plan JSON.
OPENTOFU = GoToolPin(
    go_module="github.com/opentofu/opentofu",
    go_version="v1.10.6",
    package="./cmd/tofu",
    binary="tofu",
)

MIN_TERRAFORM = (1, 9, 0)

# Lints the GitHub workflows the project ships (.github/workflows) in `make lint`; built once
# into the cache like OpenTofu (`python -m infrarep.devtools actionlint`).
ACTIONLINT = GoToolPin(
    go_module="github.com/rhysd/actionlint",
    go_version="v1.7.12",
    package="./cmd/actionlint",
    binary="actionlint",
)

# Saved plans (`plan -out`) whose internal format `infrarep.planfile` reads itself, by the
# (flavour, version) of the binary that wrote them: each is one tests/e2e/test_saved_plan.py
# passed with. Plans of any other terraform or tofu are read through `show -json`, which
# starts the provider for its schema.
VERIFIED_PLANFILE_FORMATS = frozenset({("terraform", "1.11.4")})

# Lambda functions: runtime and the wheel platform their dependencies are resolved for.
LAMBDA_RUNTIME_PYTHON = "3.12"
LAMBDA_WHEEL_PLATFORM = "manylinux2014_aarch64"
