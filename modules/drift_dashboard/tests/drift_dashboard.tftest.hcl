mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  name = "infrarep-drift"
  environments = [
    { name = "dev", region = "us-east-1", ledger_table_name = "infrarep-dev-ledger", alarm_names = ["infrarep-dev-drift-detected"] },
    { name = "staging", region = "us-west-2", ledger_table_name = "infrarep-staging-ledger", alarm_names = ["infrarep-staging-drift-detected"] },
    { name = "prod", region = "eu-west-1", ledger_table_name = "infrarep-prod-ledger", alarm_names = ["infrarep-prod-drift-detected"] },
  ]
  pipeline = { name = "infrarep-control-promotion", region = "us-east-1" }
}

run "one_parity_widget_per_neighbouring_pair" {
  command = plan

  assert {
    condition     = output.parity_pairs == ["dev~staging", "staging~prod"]
    error_message = "parity pairs should be the neighbours in promotion order"
  }

  assert {
    condition = [
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.metrics[0]
      if w.type == "metric" && strcontains(try(w.properties.title, ""), "parity")
      ] == [
      ["Infrarep", "DriftDetected", "SourceEnv", "dev", "TargetEnv", "staging", "Kind", "parity", { region = "us-west-2", label = "dev -> staging" }],
      ["Infrarep", "DriftDetected", "SourceEnv", "staging", "TargetEnv", "prod", "Kind", "parity", { region = "eu-west-1", label = "staging -> prod" }],
    ]
    error_message = "parity widgets should read DriftDetected by SourceEnv, TargetEnv and Kind in the target's region"
  }
}

run "alarms_are_addressed_in_their_region" {
  command = plan

  assert {
    condition = one([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.alarms if w.type == "alarm"
      ]) == [
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:infrarep-dev-drift-detected",
      "arn:aws:cloudwatch:us-west-2:123456789012:alarm:infrarep-staging-drift-detected",
      "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:infrarep-prod-drift-detected",
    ]
    error_message = "the alarm widget should list each env's alarm ARN in the env's region"
  }
}

run "live_and_pending_drift_per_env_in_its_region" {
  command = plan

  assert {
    condition = [
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w.properties.metrics
      if w.type == "metric" && strcontains(try(w.properties.title, ""), "(live)")
      ] == [[
        ["Infrarep", "DriftDetected", "Env", "dev", "Kind", "live", { region = "us-east-1", label = "dev" }],
        ["Infrarep", "DriftDetected", "Env", "staging", "Kind", "live", { region = "us-west-2", label = "staging" }],
        ["Infrarep", "DriftDetected", "Env", "prod", "Kind", "live", { region = "eu-west-1", label = "prod" }],
    ]]
    error_message = "one live-drift widget should read DriftDetected by Env and Kind=live of every env in its region"
  }

  assert {
    condition = length([
      for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w
      if w.type == "metric" && strcontains(try(w.properties.title, ""), "(pending)")
    ]) == 1
    error_message = "one widget should show pending changes per env"
  }
}

run "rejects_a_region_typo" {
  command = plan

  variables {
    environments = [{ name = "dev", region = "useast1", ledger_table_name = "t", alarm_names = [] }]
  }

  expect_failures = [var.environments]
}
