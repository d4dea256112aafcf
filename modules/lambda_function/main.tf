data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.name}"
  is_zip        = var.package.zip_path != null
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_111:"*" only in TracingAndVpcNetworking (X-Ray segments and ENI management have no resource-level permissions); caller statements are validated to have no wildcard actions
  #checkov:skip=CKV_AWS_356:"*" only where AWS offers no resource-level permission (X-Ray, ENIs, PutMetricData, CodePipeline job results); every other statement names its resources
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  # AWS requires "*" for these: X-Ray segments and VPC network interfaces have no
  # resource-level permissions at creation time.
  statement {
    sid = "TracingAndVpcNetworking"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

module "execution_role" {
  source = "../service_role"

  name            = var.name
  assumed_by      = ["lambda.amazonaws.com"]
  inline_policies = { function = data.aws_iam_policy_document.this.json }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:retention is log_retention_days, fixed by the stack at 30 days in every env (a difference would be drift); durable records live in the ledger and config store
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = var.kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:zips are built reproducibly by `infrarep package` and pinned by sha256 (source_code_hash); no Signer profile in this account
  function_name                  = var.name
  description                    = var.description
  role                           = module.execution_role.arn
  architectures                  = ["arm64"]
  package_type                   = local.is_zip ? "Zip" : "Image"
  filename                       = var.package.zip_path
  source_code_hash               = local.is_zip ? filebase64sha256(var.package.zip_path) : null
  image_uri                      = var.package.image_uri
  handler                        = local.is_zip ? var.handler : null
  runtime                        = local.is_zip ? var.runtime : null
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_s
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(var.environment, { POWERTOOLS_SERVICE_NAME = var.name })
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-errors"
  alarm_description   = "${var.name} raised errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.error_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-dead-letters"
  alarm_description   = "${var.name} failed an asynchronous invocation for good"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]

  tags = var.tags
}
