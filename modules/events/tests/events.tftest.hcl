mock_provider "aws" {
  # Resources check policies and ARNs even under a mock: give the data sources real shapes.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "eu-west-1" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  name_prefix        = "infrarep-test-payments"
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  consumer_timeout_s = 30
  alarm_topic_arn    = "arn:aws:sns:eu-west-1:123456789012:alerts"
}

run "visibility_defaults_to_six_consumer_timeouts" {
  command = plan

  assert {
    condition     = output.visibility_timeout_s == 180
    error_message = "visibility timeout should default to 6 x 30 s, got ${output.visibility_timeout_s}"
  }
}

run "routes_only_payment_created_from_the_publisher" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.payment_created.event_pattern) == { source = ["payments.api"], detail-type = ["payment.created"] }
    error_message = "rule must match source payments.api and detail-type payment.created, got ${aws_cloudwatch_event_rule.payment_created.event_pattern}"
  }
}

run "accepts_a_longer_visibility_timeout" {
  command = plan

  variables {
    visibility_timeout_s = 45
  }

  assert {
    condition     = output.visibility_timeout_s == 45
    error_message = "an explicit visibility timeout must be used as given"
  }
}

run "rejects_visibility_not_longer_than_the_consumer" {
  command = plan

  variables {
    visibility_timeout_s = 30
  }

  expect_failures = [var.visibility_timeout_s]
}

run "rejects_an_aws_event_source" {
  command = plan

  variables {
    event_source = "aws.payments"
  }

  expect_failures = [var.event_source]
}
