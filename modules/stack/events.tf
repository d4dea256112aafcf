# A stack update of this env: infrarep's own EnvironmentUpdate event, or a new version of
# this env's Terraform state object in the state bucket (S3 -> EventBridge).
resource "aws_cloudwatch_event_rule" "stack_updated" {
  name        = "${local.name}-stack-updated"
  description = "A deployment of ${var.env} finished or its Terraform state changed"

  event_pattern = jsonencode({
    "$or" = [
      {
        source      = ["infrarep"]
        detail-type = ["EnvironmentUpdate"]
        detail      = { env = [var.env] }
      },
      {
        source      = ["aws.s3"]
        detail-type = ["Object Created"]
        detail = {
          bucket = { name = [var.state_bucket] }
          object = { key = ["${var.env}/terraform.tfstate"] }
        }
      },
    ]
  })
}

locals {
  reacts_to_stack_updates = toset(["deployment_recorder", "drift_validator"])
}

resource "aws_cloudwatch_event_target" "stack_updated" {
  for_each = local.reacts_to_stack_updates

  rule      = aws_cloudwatch_event_rule.stack_updated.name
  target_id = replace(each.key, "_", "-")
  arn       = module.function[each.key].function_arn

  dead_letter_config {
    arn = module.function[each.key].dlq_arn
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_lambda_permission" "stack_updated" {
  for_each = local.reacts_to_stack_updates

  statement_id  = "stack-updated"
  action        = "lambda:InvokeFunction"
  function_name = module.function[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.stack_updated.arn
}

# A rollback of this env asked for: by the control plane's rollback pipeline (after its manual
# approval) or its soak state machine (drift found), whose events reach this region's default
# bus. The rollback executor writes the REQUESTED row and starts the build that applies it.
resource "aws_cloudwatch_event_rule" "rollback_requested" {
  name        = "${local.name}-rollback-requested"
  description = "A rollback of ${var.env} was requested"

  event_pattern = jsonencode({
    source      = ["infrarep"]
    detail-type = ["RollbackRequested"]
    detail      = { env = [var.env] }
  })
}

resource "aws_cloudwatch_event_target" "rollback_requested" {
  rule      = aws_cloudwatch_event_rule.rollback_requested.name
  target_id = "rollback-executor"
  arn       = module.function["rollback_executor"].function_arn

  dead_letter_config {
    arn = module.function["rollback_executor"].dlq_arn
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_lambda_permission" "rollback_requested" {
  statement_id  = "rollback-requested"
  action        = "lambda:InvokeFunction"
  function_name = module.function["rollback_executor"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.rollback_requested.arn
}

resource "aws_cloudwatch_metric_alarm" "drift" {
  alarm_name          = "${local.name}-drift-detected"
  alarm_description   = "infrarep found drift involving ${var.env}"
  namespace           = local.metrics_namespace
  metric_name         = "DriftDetected"
  dimensions          = { Env = var.env }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.notifications.drift_topic_arn]
  ok_actions          = [module.notifications.drift_topic_arn]
}
