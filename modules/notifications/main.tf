locals {
  topics = {
    drift      = "Drift between environments or between an environment and its code"
    validation = "A validation could not run (missing manifest, bad input)"
    rollback   = "An environment was rolled back"
    alerts     = "Operational alarms of the environment's workload (errors, latency, queue depth)"
  }
}

resource "aws_sns_topic" "this" {
  for_each = local.topics

  name              = "${var.name_prefix}-${each.key}"
  display_name      = each.value
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "publish" {
  for_each = local.topics

  statement {
    sid       = "AccountPublishes"
    actions   = ["sns:Publish", "sns:GetTopicAttributes", "sns:Subscribe"]
    resources = [aws_sns_topic.this[each.key].arn]

    principals {
      type        = "AWS"
      identifiers = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "AlarmsAndEventsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[each.key].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.topics

  arn    = aws_sns_topic.this[each.key].arn
  policy = data.aws_iam_policy_document.publish[each.key].json
}

resource "aws_sns_topic_subscription" "this" {
  for_each = { for s in var.subscriptions : "${s.topic}:${s.protocol}:${s.endpoint}" => s }

  topic_arn = aws_sns_topic.this[each.value.topic].arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}
