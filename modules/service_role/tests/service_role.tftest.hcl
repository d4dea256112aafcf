mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name       = "infrarep-test-forwarding"
  assumed_by = ["events.amazonaws.com"]
}

run "only_the_given_services_may_assume_it" {
  command = plan

  assert {
    condition     = one(data.aws_iam_policy_document.trust.statement[0].principals).identifiers == toset(["events.amazonaws.com"]) && data.aws_iam_policy_document.trust.statement[0].actions == toset(["sts:AssumeRole"])
    error_message = "the trust policy must let exactly events.amazonaws.com assume the role"
  }
}

run "has_no_policies_unless_given" {
  command = plan

  assert {
    condition     = length(aws_iam_role_policy.this) == 0 && length(aws_iam_role_policy_attachment.this) == 0
    error_message = "a role given no policies must have none"
  }
}

run "puts_each_inline_policy_on_the_role_under_its_name" {
  command = plan

  variables {
    inline_policies = { forward-events = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  assert {
    condition     = aws_iam_role_policy.this["forward-events"].name == "forward-events" && aws_iam_role_policy.this["forward-events"].policy == "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    error_message = "the inline policy must keep its name and document"
  }
}

run "attaches_managed_policies" {
  command = plan

  variables {
    managed_policy_arns = { logs = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" }
  }

  assert {
    condition     = aws_iam_role_policy_attachment.this["logs"].role == "infrarep-test-forwarding" && aws_iam_role_policy_attachment.this["logs"].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    error_message = "the managed policy must be attached to the role"
  }
}

run "rejects_a_principal_that_is_not_a_service" {
  command = plan

  variables {
    assumed_by = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.assumed_by]
}

run "rejects_a_managed_policy_that_is_not_an_arn" {
  command = plan

  variables {
    managed_policy_arns = { logs = "AmazonAPIGatewayPushToCloudWatchLogs" }
  }

  expect_failures = [var.managed_policy_arns]
}
