# The promotion pipeline: a new release bundle in the config store runs
#   deploy <first> -> validate -> [approve] -> deploy <next> -> ... -> soak -> validate
#   -> approve -> deploy <last>
# Builds run `make deploy ENV=<env>`; the soak is a Step Functions Wait of soak_seconds, then
# a drift check of the soaked env: drift found requests a rollback of it and fails the soak.
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

data "aws_iam_policy_document" "codebuild_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codebuild" {
  name               = "${var.name}-builds"
  assume_role_policy = data.aws_iam_policy_document.codebuild_trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "codebuild" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for build in aws_cloudwatch_log_group.build : "${build.arn}:*"]
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

  # Terraform runs as the deployer role; the build itself can do nothing else in the envs.
  statement {
    sid       = "BecomeDeployer"
    actions   = ["sts:AssumeRole"]
    resources = [var.deployer_role_arn]
  }
}

resource "aws_iam_role_policy" "codebuild" {
  name   = "builds"
  role   = aws_iam_role.codebuild.id
  policy = data.aws_iam_policy_document.codebuild.json
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
  service_role   = aws_iam_role.codebuild.arn
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

  depends_on = [aws_iam_role_policy.codebuild]
}

# --- State machines: the soak (then a drift check) and the rollback request -----------------

data "aws_iam_policy_document" "states_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "states" {
  name               = "${var.name}-state-machines"
  assume_role_policy = data.aws_iam_policy_document.states_trust.json

  tags = var.tags
}

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
    sid       = "RequestRollback"
    actions   = ["states:StartExecution"]
    resources = [local.rollback_state_machine_arn]
  }

  statement {
    sid       = "AnnounceRollbackRequest"
    actions   = ["events:PutEvents"]
    resources = [local.default_bus_arn]
  }
}

resource "aws_iam_role_policy" "states" {
  name   = "state-machines"
  role   = aws_iam_role.states.id
  policy = data.aws_iam_policy_document.states.json
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
  role_arn = aws_iam_role.states.arn
  type     = "STANDARD"
  definition = jsonencode({
    Comment = "Soak: the version runs in ${var.environments[local.last - 1].name} for at least ${var.soak_seconds} s before ${var.environments[local.last].name} can be approved; live drift found then requests a rollback and fails the soak"
    StartAt = "Soak"
    States = {
      Soak = {
        Type    = "Wait"
        Seconds = var.soak_seconds
        Next    = "CheckDrift"
      }
      # The validate build on the release under soak; DRIFT_FAILS_BUILD=false makes it succeed
      # and export DRIFT_FOUND (true/false). A report that could not run fails the task.
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
            { Name = "DRIFT_FAILS_BUILD", Value = "false", Type = "PLAINTEXT" },
          ]
        }
        ResultSelector = { "drift_found.$" = "$.Build.ExportedEnvironmentVariables[0].Value" }
        ResultPath     = "$.drift"
        Next           = "DriftFound?"
      }
      "DriftFound?" = {
        Type    = "Choice"
        Choices = [{ Variable = "$.drift.drift_found", StringEquals = "true", Next = "RequestRollback" }]
        Default = "Soaked"
      }
      RequestRollback = {
        Type     = "Task"
        Resource = "${local.arn_prefix}:states:::states:startExecution"
        Parameters = {
          StateMachineArn = local.rollback_state_machine_arn
          Input = {
            "env.$"    = "$.env"
            to_version = "previous"
            "reason.$" = "States.Format('live drift in {} after the soak', $.env)"
            initiator  = "${var.name}-soak"
          }
        }
        ResultPath = null
        Next       = "DriftFound"
      }
      DriftFound = {
        Type  = "Fail"
        Error = "DriftFound"
        Cause = "Live drift after the soak: a rollback of the soaked env was requested (see its rollback topic)."
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

  depends_on = [aws_iam_role_policy.states]
}

# The one way a rollback is requested from the control plane: an `infrarep` /
# `RollbackRequested` event on this region's default bus (forwarded to the env's region by the
# caller of this module where it differs). The execution's name and start time key the
# request, so a redelivered event is recorded once.
resource "aws_sfn_state_machine" "rollback" {
  name     = "${var.name}-rollback"
  role_arn = aws_iam_role.states.arn
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

  depends_on = [aws_iam_role_policy.states]
}

# --- The pipeline ----------------------------------------------------------------------------

data "aws_iam_policy_document" "pipeline_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name               = local.pipeline_name
  assume_role_policy = data.aws_iam_policy_document.pipeline_trust.json

  tags = var.tags
}

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

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

resource "aws_codepipeline" "this" {
  name           = local.pipeline_name
  role_arn       = aws_iam_role.pipeline.arn
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

  depends_on = [aws_iam_role_policy.pipeline]
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
  role_arn      = aws_iam_role.pipeline.arn
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

  depends_on = [aws_iam_role_policy.pipeline]
}

# --- Trigger: a new version of the release bundle starts the pipeline ------------------------

data "aws_iam_policy_document" "trigger_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "trigger" {
  name               = "${var.name}-trigger"
  assume_role_policy = data.aws_iam_policy_document.trigger_trust.json

  tags = var.tags
}

data "aws_iam_policy_document" "trigger" {
  statement {
    sid       = "StartPipeline"
    actions   = ["codepipeline:StartPipelineExecution"]
    resources = [aws_codepipeline.this.arn]
  }
}

resource "aws_iam_role_policy" "trigger" {
  name   = "start-pipeline"
  role   = aws_iam_role.trigger.id
  policy = data.aws_iam_policy_document.trigger.json
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
  role_arn = aws_iam_role.trigger.arn
}
