# The promotion pipeline: a new release bundle in the config store runs
#   deploy <first> -> validate -> [approve] -> deploy <next> -> ... -> soak -> validate
#   -> approve -> deploy <last>
# Builds run `make deploy ENV=<env>`; the soak is a Step Functions Wait of soak_seconds, then
# a drift check of the soaked env (the validate build with ROLLBACK_ON_DRIFT=true): drift
# found makes that build request a rollback of the env and fail, which fails the soak.
# A second pipeline, <name>-rollback, is started by hand: manual approval, then the request.
# A rollback request is an `infrarep` / `RollbackRequested` event on the default bus; the env's
# rollback executor (modules/stack) records it as REQUESTED and answers with RollbackAccepted,
# which starts a build of the deploy project (rollback_build.tf) that runs `infrarep rollback`,
# which alone records ROLLBACK SUCCEEDED.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  pipeline_name = "${var.name}-promotion"
  account_id    = data.aws_caller_identity.current.account_id
  arn_prefix    = "arn:${data.aws_partition.current.partition}"
  region        = data.aws_region.current.region
  last          = length(var.environments) - 1

  # One entry per stage after the source, in order. Every env after the first is preceded
  # by a drift validation of the env before it (with parity to that env's own predecessor),
  # the soak before the last, and a manual approval where the env requires one.
  stages = flatten([
    for i, env in var.environments : concat(
      i == local.last ? [{ kind = "soak", env = var.environments[max(i - 1, 0)].name, envs = "" }] : [],
      i > 0 ? [{
        kind = "validate"
        env  = var.environments[max(i - 1, 0)].name
        envs = join(" ", [for e in slice(var.environments, max(0, i - 2), i) : e.name])
      }] : [],
      i > 0 && env.approval_required ? [{ kind = "approve", env = env.name, envs = "" }] : [],
      [{ kind = "deploy", env = env.name, envs = "" }],
    )
  ])
  rollback_pipeline_name = "${var.name}-rollback"
  # Known at plan time (the soak's definition names it; plan-time checks read that definition).
  rollback_state_machine_arn = "${local.arn_prefix}:states:${local.region}:${local.account_id}:stateMachine:${var.name}-rollback"
  default_bus_arn            = "${local.arn_prefix}:events:${local.region}:${local.account_id}:event-bus/default"
  release_bundle_arn         = "${var.source_bucket.arn}/${var.source_object_key}"
  builds = {
    deploy   = "Runs `make deploy ENV=<env>` for the promotion pipeline, or `infrarep rollback` for a requested rollback"
    validate = "Runs the drift report (live, pending, parity) between promotion steps"
  }
}

# --- Artifacts -------------------------------------------------------------------------------

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18:pipeline artifacts are transient copies of the release bundle; CodePipeline and CodeBuild calls are audited by CloudTrail
  #checkov:skip=CKV_AWS_144:artifacts are per-execution intermediates; the release bundle itself is replicated by the config store
  #checkov:skip=CKV2_AWS_62:nothing reacts to artifact objects; the pipeline is started from the config store
  bucket        = "${var.name}-artifacts-${local.account_id}"
  force_destroy = var.force_destroy

  tags = var.tags
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "expire-artifacts"
    status = "Enabled"

    filter {}

    expiration {
      days = 90
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

data "aws_iam_policy_document" "artifacts" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts.json

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# --- Approval notifications ------------------------------------------------------------------

resource "aws_sns_topic" "approvals" {
  name              = "${var.name}-approvals"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

# --- Builds ----------------------------------------------------------------------------------

data "aws_iam_policy_document" "build" {
  for_each = local.builds

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.build[each.key].arn}:*"]
  }

  statement {
    sid       = "ReadInputsWriteReports"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
  }

  # Builds started outside the pipeline (the soak's drift check) take their source straight
  # from the release bundle; a rollback's build reads its version's own (rollback_build.tf).
  statement {
    sid       = "ReadReleaseBundle"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [local.release_bundle_arn]
  }

  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # Terraform runs as the deployer role, and as each env's own where it has one; the build
  # itself can do nothing else in the envs.
  statement {
    sid       = "BecomeDeployer"
    actions   = ["sts:AssumeRole"]
    resources = distinct(concat([var.deployer_role_arn], values(var.environment_role_arns)))
  }

  # The soak's drift check requests a rollback of the soaked env when it finds drift.
  dynamic "statement" {
    for_each = each.key == "validate" ? [local.rollback_state_machine_arn] : []

    content {
      sid       = "RequestRollbackOnDrift"
      actions   = ["states:StartExecution"]
      resources = [statement.value]
    }
  }
}

# One role per kind of build, so each may do only what its build does.
module "build_role" {
  source   = "../service_role"
  for_each = local.builds

  name            = "${var.name}-${each.key}-build"
  assumed_by      = ["codebuild.amazonaws.com"]
  inline_policies = { "${each.key}-build" = data.aws_iam_policy_document.build[each.key].json }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "build" {
  for_each = local.builds

  name              = "/aws/codebuild/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_codebuild_project" "this" {
  for_each = local.builds

  name           = "${var.name}-${each.key}"
  description    = each.value
  service_role   = module.build_role[each.key].arn
  build_timeout  = var.build_timeout_minutes
  encryption_key = var.kms_key_arn

  source {
    type      = "CODEPIPELINE"
    buildspec = file("${path.module}/buildspecs/${each.key}.yml")
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type                        = "ARM_CONTAINER"
    compute_type                = "BUILD_GENERAL1_SMALL"
    image                       = var.build_image
    image_pull_credentials_type = "CODEBUILD"
    privileged_mode             = false

    environment_variable {
      name  = "DEPLOYER_ROLE_ARN"
      value = var.deployer_role_arn
    }

    # What the validate build starts when it runs with ROLLBACK_ON_DRIFT=true and finds drift.
    dynamic "environment_variable" {
      for_each = each.key == "validate" ? [local.rollback_state_machine_arn] : []

      content {
        name  = "ROLLBACK_STATE_MACHINE_ARN"
        value = environment_variable.value
      }
    }
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.build[each.key].name
    }

    s3_logs {
      status = "DISABLED"
    }
  }

  tags = var.tags
}

# --- State machines: the soak (then a drift check) and the rollback request -----------------

data "aws_iam_policy_document" "states" {
  #checkov:skip=CKV_AWS_111:CloudWatch Logs delivery and X-Ray have no resource-level permissions; AWS requires "*" for these actions
  #checkov:skip=CKV_AWS_356:CloudWatch Logs delivery and X-Ray have no resource-level permissions; AWS requires "*" for these actions
  # AWS requires "*" for both: log delivery management and X-Ray segments have no
  # resource-level permissions.
  statement {
    sid = "LogDeliveryAndTracing"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "CheckDrift"
    actions   = ["codebuild:StartBuild", "codebuild:StopBuild", "codebuild:BatchGetBuilds"]
    resources = [aws_codebuild_project.this["validate"].arn]
  }

  # startBuild.sync waits for the build through a rule Step Functions manages.
  statement {
    sid       = "WaitForBuilds"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = ["${local.arn_prefix}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForCodeBuildStartBuildRule"]
  }

  statement {
    sid       = "AnnounceRollbackRequest"
    actions   = ["events:PutEvents"]
    resources = [local.default_bus_arn]
  }
}

module "states_role" {
  source = "../service_role"

  name            = "${var.name}-state-machines"
  assumed_by      = ["states.amazonaws.com"]
  inline_policies = { state-machines = data.aws_iam_policy_document.states.json }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "states" {
  for_each = toset(["soak", "rollback"])

  name              = "/aws/vendedlogs/states/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_sfn_state_machine" "soak" {
  name     = "${var.name}-soak"
  role_arn = module.states_role.arn
  type     = "STANDARD"
  definition = jsonencode({
    Comment = "Soak: the version runs in ${var.environments[local.last - 1].name} for at least ${var.soak_seconds} s before ${var.environments[local.last].name} can be approved; then a drift check of it: drift found requests its rollback and fails the soak"
    StartAt = "Soak"
    States = {
      Soak = {
        Type    = "Wait"
        Seconds = var.soak_seconds
        Next    = "CheckDrift"
      }
      # The validate build on the release under soak. With ROLLBACK_ON_DRIFT=true, drift makes
      # the build request a rollback of the env, then fail; any failure of the build fails the
      # soak. Its output is not read (ResultPath null): the build decides.
      CheckDrift = {
        Type     = "Task"
        Resource = "${local.arn_prefix}:states:::codebuild:startBuild.sync"
        Parameters = {
          ProjectName            = aws_codebuild_project.this["validate"].name
          SourceTypeOverride     = "S3"
          SourceLocationOverride = "${var.source_bucket.name}/${var.source_object_key}"
          ArtifactsOverride      = { Type = "NO_ARTIFACTS" }
          EnvironmentVariablesOverride = [
            { Name = "DRIFT_ENVS", "Value.$" = "$.env", Type = "PLAINTEXT" },
            { Name = "ROLLBACK_ON_DRIFT", Value = "true", Type = "PLAINTEXT" },
          ]
        }
        ResultPath = null
        Catch      = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.check", Next = "DriftFoundOrCheckFailed" }]
        Next       = "Soaked"
      }
      DriftFoundOrCheckFailed = {
        Type  = "Fail"
        Error = "DriftFoundOrCheckFailed"
        Cause = "The drift check after the soak failed: either it found drift, and then it requested a rollback of the soaked env (see the validate build's log), or the check itself could not run."
      }
      Soaked = {
        Type = "Succeed"
      }
    }
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.states["soak"].arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags
}

# The one way a rollback is requested from the control plane: an `infrarep` /
# `RollbackRequested` event on this region's default bus (forwarded to the env's region by the
# caller of this module where it differs). The execution's name and start time key the
# request, so a redelivered event is recorded once.
resource "aws_sfn_state_machine" "rollback" {
  name     = "${var.name}-rollback"
  role_arn = module.states_role.arn
  type     = "STANDARD"
  definition = jsonencode({
    Comment = "Request a rollback of $.env to $.to_version (a version, or \"previous\"): the env's rollback executor records it and starts the build that applies it"
    StartAt = "RequestRollback"
    States = {
      RequestRollback = {
        Type     = "Task"
        Resource = "${local.arn_prefix}:states:::events:putEvents"
        Parameters = {
          Entries = [{
            Source       = "infrarep"
            DetailType   = "RollbackRequested"
            EventBusName = local.default_bus_arn
            Detail = {
              "env.$"          = "$.env"
              "to_version.$"   = "$.to_version"
              "reason.$"       = "$.reason"
              "initiator.$"    = "$.initiator"
              "requested_at.$" = "$$.Execution.StartTime"
              "request_id.$"   = "$$.Execution.Name"
            }
          }]
        }
        End = true
      }
    }
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.states["rollback"].arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags
}

# --- The pipeline ----------------------------------------------------------------------------

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "ReadReleaseBundle"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.source_bucket.arn}/${var.source_object_key}"]
  }

  statement {
    sid       = "SeeSourceBucket"
    actions   = ["s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:ListBucket"]
    resources = [var.source_bucket.arn]
  }

  statement {
    sid       = "PassArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
  }

  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "RunBuilds"
    actions   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
    resources = [for project in aws_codebuild_project.this : project.arn]
  }

  statement {
    sid       = "StartStateMachines"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.soak.arn, aws_sfn_state_machine.rollback.arn]
  }

  statement {
    sid     = "WatchStateMachines"
    actions = ["states:DescribeExecution", "states:StopExecution"]
    resources = [
      for machine in [aws_sfn_state_machine.soak, aws_sfn_state_machine.rollback] :
      "${local.arn_prefix}:states:${local.region}:${local.account_id}:execution:${machine.name}:*"
    ]
  }

  statement {
    sid       = "AskForApproval"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.approvals.arn]
  }
}

module "pipeline_role" {
  source = "../service_role"

  name            = local.pipeline_name
  assumed_by      = ["codepipeline.amazonaws.com"]
  inline_policies = { pipeline = data.aws_iam_policy_document.pipeline.json }

  tags = var.tags
}

resource "aws_codepipeline" "this" {
  name           = local.pipeline_name
  role_arn       = module.pipeline_role.arn
  pipeline_type  = "V2"
  execution_mode = "QUEUED"

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.artifacts.id

    encryption_key {
      type = "KMS"
      id   = var.kms_key_arn
    }
  }

  stage {
    name = "Source"

    action {
      name             = "ReleaseBundle"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["release"]

      configuration = {
        S3Bucket             = var.source_bucket.name
        S3ObjectKey          = var.source_object_key
        PollForSourceChanges = "false"
      }
    }
  }

  dynamic "stage" {
    for_each = local.stages

    content {
      name = "${title(stage.value.kind)}-${stage.value.env}"

      dynamic "action" {
        for_each = stage.value.kind == "deploy" || stage.value.kind == "validate" ? [stage.value] : []

        content {
          name             = stage.value.kind == "deploy" ? "Deploy" : "DriftReport"
          category         = "Build"
          owner            = "AWS"
          provider         = "CodeBuild"
          version          = "1"
          input_artifacts  = ["release"]
          output_artifacts = stage.value.kind == "validate" ? ["drift_${replace(stage.value.env, "-", "_")}"] : []

          configuration = {
            ProjectName = aws_codebuild_project.this[stage.value.kind].name
            EnvironmentVariables = jsonencode(
              stage.value.kind == "deploy"
              ? [{ name = "DEPLOY_ENV", value = stage.value.env, type = "PLAINTEXT" }]
              : [{ name = "DRIFT_ENVS", value = stage.value.envs, type = "PLAINTEXT" }]
            )
          }
        }
      }

      dynamic "action" {
        for_each = stage.value.kind == "approve" ? [stage.value] : []

        content {
          name     = "Approve"
          category = "Approval"
          owner    = "AWS"
          provider = "Manual"
          version  = "1"

          configuration = {
            NotificationArn = aws_sns_topic.approvals.arn
            CustomData      = "Promote the release to ${stage.value.env}: the drift report of the previous stage is its DriftReport artifact."
          }
        }
      }

      dynamic "action" {
        for_each = stage.value.kind == "soak" ? [stage.value] : []

        content {
          name     = "Wait"
          category = "Invoke"
          owner    = "AWS"
          provider = "StepFunctions"
          version  = "1"

          configuration = {
            StateMachineArn     = aws_sfn_state_machine.soak.arn
            ExecutionNamePrefix = "soak-${stage.value.env}"
            InputType           = "Literal"
            Input               = jsonencode({ env = stage.value.env, seconds = var.soak_seconds })
          }
        }
      }
    }
  }

  tags = var.tags
}

# --- The rollback pipeline: started by hand, approved, then the request ------------------------
#
# aws codepipeline start-pipeline-execution --name <name>-rollback \
#   --variables name=ENV,value=prod name=TO,value=<version> name=REASON,value="..."
# Its own pipeline, so a rollback waiting for approval never holds up the releases queued in
# the promotion pipeline. Nothing starts it but a person (no trigger; the source is only there
# because a pipeline needs one).

resource "aws_codepipeline" "rollback" {
  name          = local.rollback_pipeline_name
  role_arn      = module.pipeline_role.arn
  pipeline_type = "V2"

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.artifacts.id

    encryption_key {
      type = "KMS"
      id   = var.kms_key_arn
    }
  }

  variable {
    name          = "ENV"
    default_value = var.environments[local.last].name
    description   = "The environment to roll back."
  }

  variable {
    name          = "TO"
    default_value = "previous"
    description   = "The version to roll back to (deployed to ENV before), or \"previous\": the one ENV ran before its current one."
  }

  variable {
    name          = "REASON"
    default_value = "approved in the rollback pipeline"
    description   = "Why; recorded in the ledger's ROLLBACK rows."
  }

  stage {
    name = "Source"

    action {
      name             = "ReleaseBundle"
      category         = "Source"
      owner            = "AWS"
      provider         = "S3"
      version          = "1"
      output_artifacts = ["release"]

      configuration = {
        S3Bucket             = var.source_bucket.name
        S3ObjectKey          = var.source_object_key
        PollForSourceChanges = "false"
      }
    }
  }

  stage {
    name = "Approve"

    action {
      name     = "Approve"
      category = "Approval"
      owner    = "AWS"
      provider = "Manual"
      version  = "1"

      configuration = {
        NotificationArn = aws_sns_topic.approvals.arn
        CustomData      = "Roll #{variables.ENV} back to #{variables.TO}: #{variables.REASON}"
      }
    }
  }

  stage {
    name = "RequestRollback"

    action {
      name     = "Request"
      category = "Invoke"
      owner    = "AWS"
      provider = "StepFunctions"
      version  = "1"

      configuration = {
        StateMachineArn     = aws_sfn_state_machine.rollback.arn
        ExecutionNamePrefix = "pipeline"
        InputType           = "Literal"
        Input = jsonencode({
          env        = "#{variables.ENV}"
          to_version = "#{variables.TO}"
          reason     = "#{variables.REASON}"
          initiator  = "${local.rollback_pipeline_name} #{codepipeline.PipelineExecutionId}"
        })
      }
    }
  }

  tags = var.tags
}

# --- Trigger: a new version of the release bundle starts the pipeline ------------------------

data "aws_iam_policy_document" "trigger" {
  statement {
    sid       = "StartPipeline"
    actions   = ["codepipeline:StartPipelineExecution"]
    resources = [aws_codepipeline.this.arn]
  }
}

module "trigger_role" {
  source = "../service_role"

  name            = "${var.name}-trigger"
  assumed_by      = ["events.amazonaws.com"]
  inline_policies = { start-pipeline = data.aws_iam_policy_document.trigger.json }

  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "release" {
  name        = "${var.name}-release"
  description = "A new release bundle in ${var.source_bucket.name} starts ${local.pipeline_name}"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [var.source_bucket.name] }
      object = { key = [var.source_object_key] }
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "release" {
  rule     = aws_cloudwatch_event_rule.release.name
  arn      = aws_codepipeline.this.arn
  role_arn = module.trigger_role.arn
}
