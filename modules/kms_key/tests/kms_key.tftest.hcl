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

run "rejects_an_aws_managed_alias" {
  command = plan

  variables {
    name = "aws/s3"
  }

  expect_failures = [var.name]
}

run "rotates_the_key" {
  command = plan

  variables {
    name = "infrarep-test"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the key must rotate"
  }
}
