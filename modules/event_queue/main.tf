locals {
  # <name>-dlq -> <name>-dead-letters: the alarm is named after what the queue holds.
  alarm_name = "${trimsuffix(var.name, "-dlq")}-dead-letters"
}

resource "aws_sqs_queue" "this" {
  name                              = var.name
  message_retention_seconds         = var.retention_seconds
  receive_wait_time_seconds         = var.receive_wait_seconds
  visibility_timeout_seconds        = var.visibility_timeout_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = var.dead_letter == null ? null : jsonencode({
    deadLetterTargetArn = var.dead_letter.queue_arn
    maxReceiveCount     = var.dead_letter.max_receive_count
  })

  tags = var.tags
}

# EventBridge may send into the queue only on behalf of the given rules.
data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.sending_rules

    content {
      sid       = statement.key
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.this.arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [statement.value]
      }
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.this.json
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  count = var.alarm == null ? 0 : 1

  alarm_name          = local.alarm_name
  alarm_description   = "${var.alarm.description} Inspect ${aws_sqs_queue.this.name}, fix, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.this.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm.topic_arn]
  ok_actions          = [var.alarm.topic_arn]

  tags = var.tags
}
