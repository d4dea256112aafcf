mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name          = "infrarep-test-accepted-dlq"
  kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  sending_rules = { AcceptedRuleOnly = "arn:aws:events:eu-west-1:123456789012:rule/infrarep-test-accepted" }
}

run "only_the_given_rule_may_send" {
  command = plan

  assert {
    condition = (
      length(data.aws_iam_policy_document.this.statement) == 1
      && data.aws_iam_policy_document.this.statement[0].sid == "AcceptedRuleOnly"
      && data.aws_iam_policy_document.this.statement[0].actions == toset(["sqs:SendMessage"])
      && one(data.aws_iam_policy_document.this.statement[0].principals).identifiers == toset(["events.amazonaws.com"])
      && one(data.aws_iam_policy_document.this.statement[0].condition).test == "ArnEquals"
      && one(data.aws_iam_policy_document.this.statement[0].condition).values == tolist(["arn:aws:events:eu-west-1:123456789012:rule/infrarep-test-accepted"])
    )
    error_message = "the queue policy must let events.amazonaws.com send only on behalf of the given rule"
  }
}

run "keeps_messages_14_days_encrypted_with_the_key_and_has_no_alarm_by_default" {
  command = plan

  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 1209600 && aws_sqs_queue.this.kms_master_key_id == var.kms_key_arn && length(aws_cloudwatch_metric_alarm.dead_letters) == 0
    error_message = "a queue given no options is a 14-day encrypted queue without an alarm"
  }
}

run "moves_messages_to_the_dead_letter_queue" {
  command = plan

  variables {
    dead_letter = { queue_arn = "arn:aws:sqs:eu-west-1:123456789012:infrarep-test-dlq", max_receive_count = 5 }
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy) == { deadLetterTargetArn = "arn:aws:sqs:eu-west-1:123456789012:infrarep-test-dlq", maxReceiveCount = 5 }
    error_message = "the redrive policy must name the dead-letter queue and the receive count"
  }
}

run "alarms_on_any_waiting_message_and_says_where_to_look" {
  command = plan

  variables {
    alarm = { topic_arn = "arn:aws:sns:eu-west-1:123456789012:alerts", description = "An accepted rollback was not forwarded." }
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dead_letters[0].alarm_name == "infrarep-test-accepted-dead-letters"
      && aws_cloudwatch_metric_alarm.dead_letters[0].alarm_description == "An accepted rollback was not forwarded. Inspect infrarep-test-accepted-dlq, fix, then redrive."
      && aws_cloudwatch_metric_alarm.dead_letters[0].threshold == 0
      && aws_cloudwatch_metric_alarm.dead_letters[0].comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.dead_letters[0].alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:alerts"])
    )
    error_message = "the alarm must fire to the topic on a depth above 0, named after the queue"
  }
}

run "rejects_a_queue_no_rule_may_send_to" {
  command = plan

  variables {
    sending_rules = {}
  }

  expect_failures = [var.sending_rules]
}

run "rejects_a_retention_beyond_14_days" {
  command = plan

  variables {
    retention_seconds = 1209601
  }

  expect_failures = [var.retention_seconds]
}
