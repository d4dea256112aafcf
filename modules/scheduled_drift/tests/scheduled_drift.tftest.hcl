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
}

variables {
  name = "infrarep-control"
  environments = [
    { name = "dev", region = "us-east-1" },
    { name = "staging", region = "us-west-2" },
    { name = "prod", region = "eu-west-1" },
  ]
  deployer_role_arn   = "arn:aws:iam::123456789012:role/infrarep-deployer"
  schedule_expression = "rate(6 hours)"
  source_bucket       = { name = "infrarep-control-config", arn = "arn:aws:s3:::infrarep-control-config" }
  kms_key_arn         = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  build_image         = "aws/codebuild/amazonlinux-aarch64-standard:3.0"
}

run "one_build_per_env_in_promotion_order" {
  command = plan

  assert {
    condition     = [for entry in yamldecode(aws_codebuild_project.this.source[0].buildspec).batch.build-list : entry.env.variables.ENV] == ["dev", "staging", "prod"]
    error_message = "the buildspec's build list should hold one build per env, in promotion order"
  }

  assert {
    condition     = [for entry in output.build_list : entry.env.variables.ENV_REGION] == ["us-east-1", "us-west-2", "eu-west-1"]
    error_message = "each build should carry its env's region"
  }

  assert {
    condition     = aws_codebuild_project.this.build_batch_config[0].restrictions[0].maximum_builds_allowed == 3
    error_message = "the batch should allow one build per env, no more"
  }
}

run "every_build_runs_as_the_deployer_role" {
  command = plan

  variables {
    environments = [
      { name = "dev", region = "us-east-1" },
      { name = "prod-us", region = "us-east-2" },
    ]
  }

  assert {
    condition = [for entry in output.build_list : entry.env.variables.DEPLOYER_ROLE_ARN] == [
      "arn:aws:iam::123456789012:role/infrarep-deployer",
      "arn:aws:iam::123456789012:role/infrarep-deployer",
    ]
    error_message = "every build should run as the deployer role"
  }

  assert {
    condition     = [for entry in output.build_list : entry.identifier] == ["drift_dev", "drift_prod_us"]
    error_message = "batch identifiers should be the env names with underscores"
  }
}

run "the_schedule_starts_the_batch_through_the_universal_target" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.this[0].schedule_expression == "rate(6 hours)"
    error_message = "the schedule should run on the given expression"
  }

  assert {
    condition     = aws_scheduler_schedule.this[0].target[0].arn == "arn:aws:scheduler:::aws-sdk:codebuild:startBuildBatch"
    error_message = "the target should be CodeBuild's StartBuildBatch"
  }

  assert {
    condition     = jsondecode(aws_scheduler_schedule.this[0].target[0].input) == { ProjectName = "infrarep-control-scheduled-drift" }
    error_message = "the request should name the batch project"
  }
}

run "no_schedule_without_an_expression" {
  command = plan

  variables {
    schedule_expression = null
  }

  assert {
    condition     = length(aws_scheduler_schedule.this) == 0 && length(module.scheduler_role) == 0
    error_message = "without an expression there should be neither a schedule nor its role"
  }

  assert {
    condition     = aws_codebuild_project.this.name == "infrarep-control-scheduled-drift"
    error_message = "the batch project should stay, to be started by hand"
  }
}

run "rejects_an_expression_scheduler_would_refuse" {
  command = plan

  variables {
    schedule_expression = "every 6 hours"
  }

  expect_failures = [var.schedule_expression]
}
