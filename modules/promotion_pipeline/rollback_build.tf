# A rollback an env accepted starts the deploy build that applies it. The env's rollback
# executor (modules/stack) puts an `infrarep` / `RollbackAccepted` event with the concrete
# version on its region's default bus; outside this region the env stack forwards it to this
# region's default bus. Here a rule hands it to the deploy project: EventBridge passes the
# target's input, after the InputTransformer below, as the StartBuild request, so the build
# runs `infrarep rollback` (buildspecs/deploy.yml, ROLLBACK_TO set) on that version's own
# release bundle, which `infrarep release` stores at releases/<version>/source.zip and never
# replaces. Nothing has to be looked up between the event and the build.

locals {
  # releases/source.zip -> releases/<to_version>/source.zip (infrarep's release.version_key);
  # <to_version> is the InputTransformer's placeholder.
  version_bundle_key = replace(var.source_object_key, "/(^|/)([^/]+)$/", "$${1}<to_version>/$${2}")
}

resource "aws_cloudwatch_event_rule" "rollback_accepted" {
  name        = "${var.name}-rollback-accepted"
  description = "A rollback accepted by an env's rollback executor starts ${aws_codebuild_project.this["deploy"].name} on that version's release bundle"
  event_pattern = jsonencode({
    source      = ["infrarep"]
    detail-type = ["RollbackAccepted"]
    detail      = { env = [for env in var.environments : env.name] }
  })

  tags = var.tags
}

data "aws_iam_policy_document" "rollback_build" {
  statement {
    sid       = "StartDeployBuild"
    actions   = ["codebuild:StartBuild"]
    resources = [aws_codebuild_project.this["deploy"].arn]
  }
}

module "rollback_build_role" {
  source = "../service_role"

  name            = "${var.name}-rollback-builds"
  assumed_by      = ["events.amazonaws.com"]
  inline_policies = { start-rollback-builds = data.aws_iam_policy_document.rollback_build.json }

  tags = var.tags
}

# The deploy build's role reads the bundle of the version it rolls back to.
data "aws_iam_policy_document" "read_version_bundles" {
  statement {
    sid       = "ReadVersionBundles"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.source_bucket.arn}/${replace(local.version_bundle_key, "<to_version>", "*")}"]
  }
}

resource "aws_iam_role_policy" "read_version_bundles" {
  name   = "read-version-bundles"
  role   = module.build_role["deploy"].id
  policy = data.aws_iam_policy_document.read_version_bundles.json
}

# An accepted rollback whose build could not be started (after the retries) waits here.
module "rollback_build_dlq" {
  source = "../event_queue"

  name          = "${var.name}-rollback-builds-dlq"
  kms_key_arn   = var.kms_key_arn
  sending_rules = { RollbackAcceptedRuleOnly = aws_cloudwatch_event_rule.rollback_accepted.arn }

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "rollback_build" {
  rule      = aws_cloudwatch_event_rule.rollback_accepted.name
  target_id = "deploy-build"
  arn       = aws_codebuild_project.this["deploy"].arn
  role_arn  = module.rollback_build_role.arn

  # The StartBuild request (CodeBuild's field names). The project's source and artifacts are
  # the pipeline's (CODEPIPELINE): a build outside it takes the S3 bundle and keeps nothing.
  # EventBridge delivers at least once; the request id as idempotency token makes a repeat
  # within CodeBuild's window the same build.
  input_transformer {
    input_paths = {
      env        = "$.detail.env"
      to_version = "$.detail.to_version"
      reason     = "$.detail.reason"
      actor      = "$.detail.actor"
      request_id = "$.detail.request_id"
    }
    input_template = <<-EOT
      {
        "sourceTypeOverride": "S3",
        "sourceLocationOverride": "${var.source_bucket.name}/${local.version_bundle_key}",
        "artifactsOverride": {"type": "NO_ARTIFACTS"},
        "idempotencyToken": "<request_id>",
        "environmentVariablesOverride": [
          {"name": "DEPLOY_ENV", "value": "<env>", "type": "PLAINTEXT"},
          {"name": "ROLLBACK_TO", "value": "<to_version>", "type": "PLAINTEXT"},
          {"name": "ROLLBACK_REASON", "value": "<reason>", "type": "PLAINTEXT"},
          {"name": "ROLLBACK_ACTOR", "value": "<actor>", "type": "PLAINTEXT"},
          {"name": "ROLLBACK_REQUEST_ID", "value": "<request_id>", "type": "PLAINTEXT"}
        ]
      }
    EOT
  }

  dead_letter_config {
    arn = module.rollback_build_dlq.arn
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}
