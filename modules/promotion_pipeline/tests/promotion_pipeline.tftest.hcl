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
    { name = "dev", approval_required = false },
    { name = "staging", approval_required = true },
    { name = "prod", approval_required = true },
  ]
  source_bucket     = { name = "infrarep-control-config", arn = "arn:aws:s3:::infrarep-control-config" }
  kms_key_arn       = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  deployer_role_arn = "arn:aws:iam::123456789012:role/infrarep-deployer"
}

run "stages_follow_the_promotion_order" {
  command = plan

  assert {
    condition = output.stage_names == [
      "Source", "Deploy-dev", "Validate-dev", "Approve-staging", "Deploy-staging",
      "Soak-staging", "Validate-staging", "Approve-prod", "Deploy-prod",
    ]
    error_message = "unexpected stage order: ${jsonencode(output.stage_names)}"
  }
}

run "validation_after_staging_covers_parity_with_dev" {
  command = plan

  assert {
    condition     = [for s in local.stages : s.envs if s.kind == "validate"] == ["dev", "dev staging"]
    error_message = "validations should cover dev, then dev and staging"
  }
}

run "any_number_of_envs_with_the_soak_before_the_last" {
  command = plan

  variables {
    environments = [
      { name = "dev", approval_required = false },
      { name = "staging", approval_required = true },
      { name = "prod", approval_required = true },
      { name = "prod-us", approval_required = true },
    ]
  }

  assert {
    condition = output.stage_names == [
      "Source", "Deploy-dev", "Validate-dev", "Approve-staging", "Deploy-staging",
      "Validate-staging", "Approve-prod", "Deploy-prod",
      "Soak-prod", "Validate-prod", "Approve-prod-us", "Deploy-prod-us",
    ]
    error_message = "unexpected stage order: ${jsonencode(output.stage_names)}"
  }

  assert {
    condition     = [for s in local.stages : s.envs if s.kind == "validate"] == ["dev", "dev staging", "staging prod"]
    error_message = "each validation should cover the env before and its parity with the one before that"
  }
}

run "no_approval_where_the_env_needs_none" {
  command = plan

  variables {
    environments = [
      { name = "dev", approval_required = false },
      { name = "prod", approval_required = false },
    ]
  }

  assert {
    condition     = output.stage_names == ["Source", "Deploy-dev", "Soak-dev", "Validate-dev", "Deploy-prod"]
    error_message = "unexpected stages: ${jsonencode(output.stage_names)}"
  }
}

run "soak_defaults_to_one_hour" {
  command = plan

  assert {
    condition     = jsondecode(aws_sfn_state_machine.soak.definition).States.Soak.Seconds == 3600
    error_message = "the soak should wait 3600 s by default"
  }
}

run "rejects_a_soak_under_one_hour" {
  command = plan

  variables {
    soak_seconds = 600
  }

  expect_failures = [var.soak_seconds]
}

run "rejects_a_single_environment" {
  command = plan

  variables {
    environments = [{ name = "dev", approval_required = false }]
  }

  expect_failures = [var.environments]
}

run "builds_run_make_deploy_on_arm64" {
  command = plan

  assert {
    condition     = strcontains(aws_codebuild_project.this["deploy"].source[0].buildspec, "make deploy ENV=\"$DEPLOY_ENV\"") && aws_codebuild_project.this["deploy"].environment[0].type == "ARM_CONTAINER"
    error_message = "the deploy build should run make deploy ENV=<env> in an arm64 container"
  }
}

run "a_requested_rollback_runs_infrarep_rollback_in_the_deploy_build" {
  command = plan

  assert {
    condition     = strcontains(aws_codebuild_project.this["deploy"].source[0].buildspec, ".venv/bin/infrarep rollback --env \"$DEPLOY_ENV\" --to \"$ROLLBACK_TO\" --reason \"$ROLLBACK_REASON\" --actor \"$ROLLBACK_ACTOR\"")
    error_message = "with ROLLBACK_TO set, the deploy build should run infrarep rollback"
  }
}

run "after_the_soak_the_drift_check_decides_and_any_failure_fails_the_soak" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.soak.definition).States.Soak.Next == "CheckDrift"
      && jsondecode(aws_sfn_state_machine.soak.definition).States.CheckDrift.Next == "Soaked"
      && jsondecode(aws_sfn_state_machine.soak.definition).States.CheckDrift.Catch[0].ErrorEquals == ["States.ALL"]
      && jsondecode(aws_sfn_state_machine.soak.definition).States.CheckDrift.Catch[0].Next == "DriftFoundOrCheckFailed"
      && jsondecode(aws_sfn_state_machine.soak.definition).States.DriftFoundOrCheckFailed.Type == "Fail"
      && jsondecode(aws_sfn_state_machine.soak.definition).States.Soaked.Type == "Succeed"
    )
    error_message = "after the soak: the drift check; it succeeding ends the soak, any failure fails it"
  }

  assert {
    condition = contains(
      jsondecode(aws_sfn_state_machine.soak.definition).States.CheckDrift.Parameters.EnvironmentVariablesOverride,
      { Name = "ROLLBACK_ON_DRIFT", Value = "true", Type = "PLAINTEXT" }
    )
    error_message = "the soak's drift check should run the validate build with ROLLBACK_ON_DRIFT=true"
  }
}

run "only_the_validate_build_may_request_a_rollback" {
  command = plan

  assert {
    condition     = contains([for s in data.aws_iam_policy_document.build["validate"].statement : s.sid], "RequestRollbackOnDrift")
    error_message = "the validate build's role should be allowed to start the rollback state machine"
  }

  assert {
    condition     = !contains([for s in data.aws_iam_policy_document.build["deploy"].statement : s.sid], "RequestRollbackOnDrift")
    error_message = "the deploy build's role should not start the rollback state machine"
  }

  assert {
    condition     = !contains(flatten([for s in data.aws_iam_policy_document.states.statement : tolist(s.actions)]), "states:StartExecution")
    error_message = "the state machines' role should start no state machine (the soak no longer does)"
  }

  assert {
    condition     = contains([for v in aws_codebuild_project.this["validate"].environment[0].environment_variable : v.name], "ROLLBACK_STATE_MACHINE_ARN")
    error_message = "the validate build should know the rollback state machine"
  }

  assert {
    condition     = strcontains(aws_codebuild_project.this["validate"].source[0].buildspec, "aws stepfunctions start-execution --state-machine-arn \"$ROLLBACK_STATE_MACHINE_ARN\"")
    error_message = "the validate build should start the rollback state machine on drift"
  }
}

run "the_rollback_pipeline_asks_for_approval_then_requests" {
  command = plan

  assert {
    condition     = [for stage in aws_codepipeline.rollback.stage : stage.name] == ["Source", "Approve", "RequestRollback"]
    error_message = "the rollback pipeline should be Source -> Approve -> RequestRollback"
  }

  assert {
    condition     = aws_codepipeline.rollback.stage[1].action[0].category == "Approval" && aws_codepipeline.rollback.stage[2].action[0].provider == "StepFunctions"
    error_message = "a manual approval, then the rollback request state machine"
  }

  assert {
    condition     = jsondecode(aws_sfn_state_machine.rollback.definition).States.RequestRollback.Parameters.Entries[0].DetailType == "RollbackRequested"
    error_message = "the request is an infrarep / RollbackRequested event"
  }
}
