# One cross-region dashboard: drift between neighbouring environments (parity), drift and
# updates per environment, the alarms, and links to each ledger table and the pipeline.
# Metric names and dimensions are the ones the infrarep CLI publishes (tools/infrarep/
# records.py, notify.py): DriftDetected {SourceEnv, TargetEnv, Kind=parity}, {Env, Kind=live},
# {Env, Kind=pending} and {Env}, EnvironmentUpdate {Env}; each env's metrics live in the env's
# region. The scheduled drift check (modules/scheduled_drift) reports one env per build, so it
# puts the per-env kinds: live and pending.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  pairs = [
    for i in range(1, length(var.environments)) : {
      source = var.environments[i - 1]
      target = var.environments[i]
    }
  ]
  alarm_arns = flatten([
    for e in var.environments : [
      for alarm in e.alarm_names :
      "arn:${data.aws_partition.current.partition}:cloudwatch:${e.region}:${data.aws_caller_identity.current.account_id}:alarm:${alarm}"
    ]
  ])

  console = "https://console.aws.amazon.com"
  links = join("\n", concat(
    [
      "## Drift across environments",
      "",
      "Promotion pipeline: [${var.pipeline.name}](${local.console}/codesuite/codepipeline/pipelines/${var.pipeline.name}/view?region=${var.pipeline.region})",
      "",
      "Deployment ledgers:",
    ],
    [
      for e in var.environments :
      "- ${e.name} (${e.region}): [${e.ledger_table_name}](${local.console}/dynamodbv2/home?region=${e.region}#table?name=${e.ledger_table_name})"
    ],
  ))

  pair_width  = length(local.pairs) > 0 ? max(6, floor(24 / length(local.pairs))) : 24
  header_rows = 3 + length(var.environments)
  pairs_y     = local.header_rows
  per_env_y   = local.pairs_y + 6
  per_kind_y  = local.per_env_y + 6
  alarms_y    = local.per_kind_y + 6

  widgets = concat(
    [
      {
        type       = "text"
        x          = 0
        y          = 0
        width      = 24
        height     = local.header_rows
        properties = { markdown = local.links }
      },
    ],
    [
      for i, pair in local.pairs : {
        type   = "metric"
        x      = (i * local.pair_width) % 24
        y      = local.pairs_y + floor(i * local.pair_width / 24) * 6
        width  = local.pair_width
        height = 6
        properties = {
          title  = "DriftDetected ${pair.source.name} -> ${pair.target.name} (parity)"
          region = pair.target.region
          view   = "timeSeries"
          stat   = "Maximum"
          period = var.period_seconds
          yAxis  = { left = { min = 0, max = 1 } }
          metrics = [
            [
              var.metrics_namespace, "DriftDetected",
              "SourceEnv", pair.source.name, "TargetEnv", pair.target.name, "Kind", "parity",
              { region = pair.target.region, label = "${pair.source.name} -> ${pair.target.name}" },
            ],
          ]
        }
      }
    ],
    [
      {
        type   = "metric"
        x      = 0
        y      = local.per_env_y
        width  = 12
        height = 6
        properties = {
          title  = "DriftDetected per environment"
          region = var.pipeline.region
          view   = "timeSeries"
          stat   = "Maximum"
          period = var.period_seconds
          yAxis  = { left = { min = 0, max = 1 } }
          metrics = [
            for e in var.environments :
            [var.metrics_namespace, "DriftDetected", "Env", e.name, { region = e.region, label = e.name }]
          ]
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = local.per_env_y
        width  = 12
        height = 6
        properties = {
          title  = "EnvironmentUpdate per environment"
          region = var.pipeline.region
          view   = "timeSeries"
          stat   = "Sum"
          period = var.period_seconds
          metrics = [
            for e in var.environments :
            [var.metrics_namespace, "EnvironmentUpdate", "Env", e.name, { region = e.region, label = e.name }]
          ]
        }
      },
    ],
    [
      for i, kind in ["live", "pending"] : {
        type   = "metric"
        x      = i * 12
        y      = local.per_kind_y
        width  = 12
        height = 6
        properties = {
          title  = "DriftDetected per environment (${kind}): scheduled checks and validations"
          region = var.pipeline.region
          view   = "timeSeries"
          stat   = "Maximum"
          period = var.period_seconds
          yAxis  = { left = { min = 0, max = 1 } }
          metrics = [
            for e in var.environments :
            [var.metrics_namespace, "DriftDetected", "Env", e.name, "Kind", kind, { region = e.region, label = e.name }]
          ]
        }
      }
    ],
    length(local.alarm_arns) > 0 ? [
      {
        type   = "alarm"
        x      = 0
        y      = local.alarms_y
        width  = 24
        height = 2 + ceil(length(local.alarm_arns) / 4)
        properties = {
          title  = "Alarms"
          alarms = local.alarm_arns
        }
      },
    ] : [],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
