mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { region = "us-east-1" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
  }
}

variables {
  name_prefix = "infrarep-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "creates_the_four_topics_without_subscribers" {
  command = plan

  assert {
    condition     = toset(keys(aws_sns_topic.this)) == toset(["drift", "validation", "rollback", "alerts"]) && length(aws_sns_topic_subscription.this) == 0
    error_message = "expected drift, validation, rollback and alerts topics and no default subscription"
  }
}

run "rejects_an_unknown_topic" {
  command = plan

  variables {
    subscriptions = [{ topic = "billing", protocol = "email", endpoint = "ops@example.com" }]
  }

  expect_failures = [var.subscriptions]
}
