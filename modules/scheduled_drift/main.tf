# Scheduled drift: an EventBridge Scheduler schedule starts one CodeBuild batch build whose
# build list has one build per env (in promotion order, generated from var.environments), each
# running the drift report of its env alone, as the deployer role (infrarep assumes an env's own
# role_arn from there, as in the pipeline's builds), on the latest release bundle.
# Without a schedule expression the batch project stays, to be started by hand
# (`aws codebuild start-build-batch --project-name <name>-scheduled-drift`).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.name}-scheduled-drift"
  arn_prefix = "arn:${data.aws_partition.current.partition}"
  # Known before the project exists: the batch role names it, and the project names the role.
  project_arn = "${local.arn_prefix}:codebuild:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:project/${local.name}"

  build_list = [
    for env in var.environments : {
      # Batch identifiers take letters, digits and underscores.
      identifier = "drift_${replace(env.name, "-", "_")}"
      env = {
        variables = {
          ENV               = env.name
          ENV_REGION        = env.region
          DEPLOYER_ROLE_ARN = var.deployer_role_arn
        }
      }
    }
  ]
  buildspec = templatefile("${path.module}/buildspec.yml.tftpl", { build_list = jsonencode(local.build_list) })
}

# --- The builds ------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "builds" {
  name              = "/aws/codebuild/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "build" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.builds.arn}:*"]
  }

  statement {
    sid       = "ReadReleaseBundle"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.source_bucket.arn}/${var.source_object_key}"]
  }

  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # The report runs as the env's role; the build itself can do nothing else in the envs.
  statement {
    sid       = "BecomeEnvRoles"
    actions   = ["sts:AssumeRole"]
    resources = [var.deployer_role_arn]
  }
}

module "build_role" {
  source = "../service_role"

  name            = "${local.name}-build"
  assumed_by      = ["codebuild.amazonaws.com"]
  inline_policies = { scheduled-drift-build = data.aws_iam_policy_document.build.json }

  tags = var.tags
}

# CodeBuild starts the batch's builds with this role.
data "aws_iam_policy_document" "batch" {
  statement {
    sid       = "RunTheBatchBuilds"
    actions   = ["codebuild:StartBuild", "codebuild:StopBuild", "codebuild:RetryBuild"]
    resources = [local.project_arn]
  }
}

module "batch_role" {
  source = "../service_role"

  name            = "${local.name}-batch"
  assumed_by      = ["codebuild.amazonaws.com"]
  inline_policies = { scheduled-drift-batch = data.aws_iam_policy_document.batch.json }

  tags = var.tags
}

resource "aws_codebuild_project" "this" {
  name           = local.name
  description    = "Drift check of every env, one build each: infrarep drift-report --env ENV --notify --store"
  service_role   = module.build_role.arn
  build_timeout  = var.build_timeout_minutes
  encryption_key = var.kms_key_arn

  source {
    type      = "S3"
    location  = "${var.source_bucket.name}/${var.source_object_key}"
    buildspec = local.buildspec
  }

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    type                        = "ARM_CONTAINER"
    compute_type                = "BUILD_GENERAL1_SMALL"
    image                       = var.build_image
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = false
  }

  # The builds run side by side; at most one per env, on the small compute type only.
  build_batch_config {
    service_role      = module.batch_role.arn
    combine_artifacts = false
    timeout_in_mins   = min(480, var.build_timeout_minutes * length(var.environments))

    restrictions {
      maximum_builds_allowed = length(var.environments)
      compute_types_allowed  = ["BUILD_GENERAL1_SMALL"]
    }
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.builds.name
    }

    s3_logs {
      status = "DISABLED"
    }
  }

  tags = var.tags
}

# --- The schedule ----------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartTheBatch"
    actions   = ["codebuild:StartBuildBatch"]
    resources = [aws_codebuild_project.this.arn]
  }
}

module "scheduler_role" {
  source = "../service_role"
  count  = var.schedule_expression == null ? 0 : 1

  name            = "${local.name}-scheduler"
  assumed_by      = ["scheduler.amazonaws.com"]
  inline_policies = { start-scheduled-drift = data.aws_iam_policy_document.scheduler.json }

  tags = var.tags
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:the schedule's payload is the project name alone; with the AWS-owned key the scheduler role needs codebuild:StartBuildBatch and nothing else (a customer key would add kms:Decrypt)
  count = var.schedule_expression == null ? 0 : 1

  name                = local.name
  description         = "Starts ${local.name}: a drift check of every env"
  schedule_expression = var.schedule_expression

  flexible_time_window {
    mode = "OFF"
  }

  # The universal target: CodeBuild's StartBuildBatch API, with the request below.
  target {
    arn      = "${local.arn_prefix}:scheduler:::aws-sdk:codebuild:startBuildBatch"
    role_arn = module.scheduler_role[0].arn
    input    = jsonencode({ ProjectName = aws_codebuild_project.this.name })

    # A missed start is retried for an hour, not for a day: the next scheduled one comes.
    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}
