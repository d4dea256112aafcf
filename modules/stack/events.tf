locals {
  # The patterns of infrarep's own events about this env (detail.env), by detail-type.
  env_events = {
    for detail_type in ["EnvironmentUpdate", "RollbackRequested", "RollbackAccepted"] :
    detail_type => { source = ["infrarep"], detail-type = [detail_type], detail = { env = [var.env] } }
  }
}

# A stack update of this env: infrarep's own EnvironmentUpdate event, or a new version of
# this env's Terraform state object in the state bucket (S3 -> EventBridge).
resource "aws_cloudwatch_event_rule" "stack_updated" {
  name        = "${local.name}-stack-updated"
  description = "A deployment of ${var.env} finished or its Terraform state changed"

  event_pattern = jsonencode({
    "$or" = [
      local.env_events["EnvironmentUpdate"],
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
# bus. The rollback executor writes the REQUESTED row and puts RollbackAccepted (below).
resource "aws_cloudwatch_event_rule" "rollback_requested" {
  name          = "${local.name}-rollback-requested"
  description   = "A rollback of ${var.env} was requested"
  event_pattern = jsonencode(local.env_events["RollbackRequested"])
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

# A control plane in another account forwards rollback requests to this bus.
data "aws_iam_policy_document" "requested_rollbacks" {
  count = local.control_account_id == local.account_id ? 0 : 1

  statement {
    sid       = "ControlAccountRequestsRollbacks"
    actions   = ["events:PutEvents"]
    resources = [local.default_bus_arn]

    principals {
      type        = "AWS"
      identifiers = [local.control_account_id]
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "requested_rollbacks" {
  count = local.control_account_id == local.account_id ? 0 : 1

  event_bus_name = "default"
  policy         = data.aws_iam_policy_document.requested_rollbacks[0].json
}

# The rollback executor's `infrarep` / `RollbackAccepted` event (the concrete version) is put on
# this region's default bus: the function reaches nothing outside this region. The control
# plane's rule that starts the deploy build (modules/promotion_pipeline, rollback_build.tf)
# listens on the control region's default bus; outside that region this rule forwards the
# event there, as terraform/control_plane forwards RollbackRequested the other way.
locals {
  forwards_rollbacks = var.control_region != data.aws_region.current.region || local.control_account_id != local.account_id
  control_bus_arn    = "arn:${data.aws_partition.current.partition}:events:${var.control_region}:${local.control_account_id}:event-bus/default"
}

resource "aws_cloudwatch_event_rule" "rollback_accepted" {
  count = local.forwards_rollbacks ? 1 : 0

  name          = "${local.name}-rollback-accepted"
  description   = "A rollback of ${var.env} was accepted: forwarded to the control plane in ${var.control_region}"
  event_pattern = jsonencode(local.env_events["RollbackAccepted"])
}

data "aws_iam_policy_document" "rollback_forwarding" {
  statement {
    sid       = "ForwardToControlRegion"
    actions   = ["events:PutEvents"]
    resources = [local.control_bus_arn]
  }
}

module "rollback_forwarding_role" {
  source = "../service_role"
  count  = local.forwards_rollbacks ? 1 : 0

  name            = "${local.name}-rollback-forwarding"
  assumed_by      = ["events.amazonaws.com"]
  inline_policies = { forward-accepted-rollbacks = data.aws_iam_policy_document.rollback_forwarding.json }
}

# What could not be forwarded (after the retries) waits here; its alarm tells the rollback topic.
module "rollback_forwarding_dlq" {
  source = "../event_queue"
  count  = local.forwards_rollbacks ? 1 : 0

  name          = "${local.name}-rollback-accepted-dlq"
  kms_key_arn   = module.key.key_arn
  sending_rules = { RollbackAcceptedRuleOnly = aws_cloudwatch_event_rule.rollback_accepted[0].arn }
  alarm = {
    topic_arn   = module.notifications.rollback_topic_arn
    description = "An accepted rollback of ${var.env} did not reach the control plane in ${var.control_region}: its build never started (ledger: ROLLBACK REQUESTED)."
  }
}

resource "aws_cloudwatch_event_target" "rollback_accepted" {
  count = local.forwards_rollbacks ? 1 : 0

  rule      = aws_cloudwatch_event_rule.rollback_accepted[0].name
  target_id = "control-region"
  arn       = local.control_bus_arn
  role_arn  = module.rollback_forwarding_role[0].arn

  dead_letter_config {
    arn = module.rollback_forwarding_dlq[0].arn
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
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
