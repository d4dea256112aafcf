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
  vpc_cidr    = "10.20.0.0/16"
  az_count    = 3
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "cuts_one_private_subnet_per_zone" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 3 && aws_subnet.private["us-east-1a"].cidr_block == "10.20.0.0/20"
    error_message = "expected three /20 subnets starting at 10.20.0.0/20"
  }
}

run "has_gateway_endpoints_for_s3_and_dynamodb" {
  command = plan

  assert {
    condition     = toset(keys(aws_vpc_endpoint.gateway)) == toset(["s3", "dynamodb"])
    error_message = "expected gateway endpoints for s3 and dynamodb"
  }
}

# The functions have no NAT: the rollback executor's ledger (DynamoDB), topic (SNS) and
# RollbackAccepted event (EventBridge) are reached through this region's endpoints.
run "reaches_what_the_rollback_executor_calls_without_nat" {
  command = plan

  assert {
    condition     = alltrue([for service in ["events", "sns"] : contains(keys(aws_vpc_endpoint.interface), service)]) && contains(keys(aws_vpc_endpoint.gateway), "dynamodb")
    error_message = "expected interface endpoints for events and sns and a gateway endpoint for dynamodb"
  }
}

run "rejects_a_small_vpc" {
  command = plan

  variables {
    vpc_cidr = "10.20.0.0/24"
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_a_single_zone" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}
