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

# EventBridge may send into the queue (deliveries) and the DLQ (undeliverable events), and
# only on behalf of this rule.
module "dlq" {
  source = "../event_queue"

  name                 = "${var.name_prefix}-created-dlq"
  kms_key_arn          = var.kms_key_arn
  sending_rules        = { PaymentCreatedRuleOnly = aws_cloudwatch_event_rule.payment_created.arn }
  retention_seconds    = local.dlq_retention_seconds
  receive_wait_seconds = local.long_poll_seconds
  alarm = {
    topic_arn   = var.alarm_topic_arn
    description = "A ${local.detail_type} event was not processed: it failed ${local.max_receive_count} times or could not be delivered."
  }

  tags = var.tags
}

module "queue" {
  source = "../event_queue"

  name                       = "${var.name_prefix}-created"
  kms_key_arn                = var.kms_key_arn
  sending_rules              = { PaymentCreatedRuleOnly = aws_cloudwatch_event_rule.payment_created.arn }
  retention_seconds          = local.queue_retention_seconds
  receive_wait_seconds       = local.long_poll_seconds
  visibility_timeout_seconds = local.visibility_timeout_seconds
  dead_letter                = { queue_arn = module.dlq.arn, max_receive_count = local.max_receive_count }

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "queue" {
  rule           = aws_cloudwatch_event_rule.payment_created.name
  event_bus_name = aws_cloudwatch_event_bus.this.name
  target_id      = "processing-queue"
  arn            = module.queue.arn

  dead_letter_config {
    arn = module.dlq.arn
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}
