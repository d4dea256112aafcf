# The asynchronous path: payments_api publishes `payment.created` on a custom bus; one rule
# routes it into an SQS queue that payments_worker consumes. A message that fails five
# times, or an event EventBridge cannot deliver, lands in the DLQ, and the DLQ alarm fires.

locals {
  detail_type                = "payment.created"
  max_receive_count          = 5
  dlq_retention_seconds      = 1209600 # 14 days, the SQS maximum
  queue_retention_seconds    = 345600  # 4 days
  long_poll_seconds          = 20
  visibility_timeout_seconds = coalesce(var.visibility_timeout_s, 6 * var.consumer_timeout_s)
}

resource "aws_cloudwatch_event_bus" "this" {
  name               = var.name_prefix
  description        = "Payment events of ${var.name_prefix}"
  kms_key_identifier = var.kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "payment_created" {
  name           = "${var.name_prefix}-created"
  description    = "Routes ${local.detail_type} to the processing queue"
  event_bus_name = aws_cloudwatch_event_bus.this.name

  event_pattern = jsonencode({
    source      = [var.event_source]
    detail-type = [local.detail_type]
  })

  tags = var.tags
}

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name_prefix}-created-dlq"
  message_retention_seconds         = local.dlq_retention_seconds
  receive_wait_time_seconds         = local.long_poll_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

resource "aws_sqs_queue" "this" {
  name                              = "${var.name_prefix}-created"
  message_retention_seconds         = local.queue_retention_seconds
  receive_wait_time_seconds         = local.long_poll_seconds
  visibility_timeout_seconds        = local.visibility_timeout_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = local.max_receive_count
  })

  tags = var.tags
}

# EventBridge may send into the queue (deliveries) and the DLQ (undeliverable events), and
# only on behalf of this rule.
data "aws_iam_policy_document" "queue" {
  for_each = {
    queue = aws_sqs_queue.this.arn
    dlq   = aws_sqs_queue.dlq.arn
  }

  statement {
    sid       = "PaymentCreatedRuleOnly"
    actions   = ["sqs:SendMessage"]
    resources = [each.value]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.payment_created.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.queue["queue"].json
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.queue["dlq"].json
}

resource "aws_cloudwatch_event_target" "queue" {
  rule           = aws_cloudwatch_event_rule.payment_created.name
  event_bus_name = aws_cloudwatch_event_bus.this.name
  target_id      = "processing-queue"
  arn            = aws_sqs_queue.this.arn

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }

  depends_on = [aws_sqs_queue_policy.this, aws_sqs_queue_policy.dlq]
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name_prefix}-created-dead-letters"
  alarm_description   = "A ${local.detail_type} event was not processed: it failed ${local.max_receive_count} times or could not be delivered. Inspect ${aws_sqs_queue.dlq.name}, fix, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]

  tags = var.tags
}
