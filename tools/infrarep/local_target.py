"""The local target: what infrarep needs of the local AWS, a separate package (local_aws/).

infrarep generates a provider override that points each service the stack uses at one
endpoint (`render.generated_files`), and runs terraform with that endpoint set. Starting and
stopping the local AWS is the local AWS package's job; it is imported only here and only when
a command needs it, so infrarep installed for real AWS neither needs it nor moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .errors import LocalAwsError

if TYPE_CHECKING:
    from infrarep_local_aws import LocalAws

# Every AWS service the stack's Terraform talks to (provider `endpoints` keys); the generated
# local override points each one at the local AWS.
ENDPOINT_SERVICES = (
    "apigateway",
    "appautoscaling",
    "cloudwatch",
    "codebuild",
    "codepipeline",
    "dynamodb",
    "ec2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "rds",
    "s3",
    "s3control",
    "scheduler",
    "secretsmanager",
    "sfn",
    "sns",
    "sqs",
    "sts",
    "wafv2",
    "xray",
)
PACKAGE = "infrarep_local_aws"
INSTALL_HINT = "install it from the repository: pip install -e ./local_aws (`make setup` does)"


def up(state_dir: Path, port: int | None = None) -> LocalAws:
    """Start the local AWS, or return the one already running for this state dir."""
    with _local_aws() as local_aws:
        return local_aws.up(state_dir, port=port)


def down(state_dir: Path) -> LocalAws | None:
    """Stop the local AWS by its PID; None if none ran."""
    with _local_aws() as local_aws:
        return local_aws.down(state_dir)


def require(state_dir: Path) -> LocalAws:
    """The running local AWS of this state dir."""
    with _local_aws() as local_aws:
        running = local_aws.status(state_dir)
    if running is None:
        raise LocalAwsError("the local AWS is not running (target local)", hint="run `infrarep local up`")
    return running


def terraform_env(local: LocalAws) -> dict[str, str]:
    """What terraform needs to use the local AWS: its endpoint for the generated provider override
    (a variable) and for the S3 backend (which cannot read variables), and what every client of
    the local AWS needs besides."""
    return {
        "TF_VAR_local_aws_endpoint": local.endpoint,
        "AWS_ENDPOINT_URL_S3": local.endpoint,
        **local.client_env(),
    }


@contextmanager
def _local_aws() -> Iterator[ModuleType]:
    """The local AWS package, its errors raised as infrarep's (one line, a hint, exit code 1)."""
    try:
        import infrarep_local_aws
    except ModuleNotFoundError as err:
        if err.name != PACKAGE:
            raise
        raise LocalAwsError(f"the local AWS ({PACKAGE}) is not installed", hint=INSTALL_HINT) from None
    try:
        yield infrarep_local_aws
    except infrarep_local_aws.LocalAwsError as err:
        raise LocalAwsError(err.message, hint=err.hint) from err
