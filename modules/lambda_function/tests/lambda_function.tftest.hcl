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
  name               = "infrarep-test-fn"
  description        = "test"
  package            = { zip_path = "tests/handler.zip" }
  subnet_ids         = ["subnet-1"]
  security_group_ids = ["sg-1"]
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  alarm_topic_arn    = "arn:aws:sns:us-east-1:123456789012:alerts"
}

run "is_arm64_traced_with_a_dlq" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["arm64"]) && aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "the function must be arm64 with active tracing"
  }
}

run "needs_exactly_one_kind_of_package" {
  command = plan

  variables {
    package = { zip_path = "tests/handler.zip", image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1" }
  }

  expect_failures = [var.package]
}

run "refuses_wildcard_write_actions" {
  command = plan

  variables {
    policy_statements = { Everything = { actions = ["s3:*"], resources = ["*"] } }
  }

  expect_failures = [var.policy_statements]
}
