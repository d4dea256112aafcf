# Tracing, alarms and the dashboard of the workload. Thresholds come from var.payments; the
# shapes (periods, statistics, widgets) are the same in every environment.

locals {
  api_function    = module.function["payments_api"].function_name
  worker_function = module.function["payments_worker"].function_name
  api_dimensions  = { ApiName = module.api.api_name, Stage = module.api.stage_name }
  region          = data.aws_region.current.region

  throttle_sources = {
    for pair in setproduct(
      [
        { key = "transactions", table = module.tables.transactions_table_name, index = null },
        { key = "customer", table = module.tables.transactions_table_name, index = "customer-index" },
        { key = "status", table = module.tables.transactions_table_name, index = "status-index" },
        { key = "audit", table = module.tables.audit_table_name, index = null },
      ],
      ["Read", "Write"],
    ) : "${pair[0].key}${pair[1]}" => merge(pair[0], { io = pair[1] })
  }
}

# --- X-Ray: the stage makes the sampling decision; downstream functions follow it ---

resource "aws_xray_sampling_rule" "this" {
  rule_name      = local.name
  priority       = 100
  reservoir_size = 1
  fixed_rate     = var.payments.xray_sampling_rate
  service_name   = module.api.xray_service_name
  service_type   = "AWS::ApiGateway::Stage"
  resource_arn   = "*"
  host           = "*"
  http_method    = "*"
  url_path       = "*"
  version        = 1

  tags = var.tags
}

resource "aws_xray_group" "this" {
  group_name        = local.name
  filter_expression = "service(\"${module.api.xray_service_name}\") OR service(\"${local.api_function}\") OR service(\"${local.worker_function}\")"

  insights_configuration {
    insights_enabled      = true
    notifications_enabled = true
  }

  tags = var.tags
}

# --- alarms (Lambda errors and dead letters come with each function, the DLQ alarm with
#     the events module, the CPU alarm with the database) ---

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${local.name}-api-5xx"
  alarm_description   = "POST /payments in ${var.env} answered 5xx at least ${var.payments.alarm_error_threshold} times in 5 minutes"
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = local.api_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.payments.alarm_error_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alert_topic_arn]
  ok_actions          = [var.alert_topic_arn]

  tags = var.tags
}

# p99 of the API's latency and of its function's duration: above the env's threshold in 2 of
# 3 five-minute periods.
resource "aws_cloudwatch_metric_alarm" "p99" {
  for_each = {
    api_latency = {
      name       = "${local.name}-api-latency-p99"
      what       = "latency of the ${var.env} payments API"
      namespace  = "AWS/ApiGateway"
      metric     = "Latency"
      dimensions = local.api_dimensions
    }
    api_function_duration = {
      name       = "${local.api_function}-duration-p99"
      what       = "duration of ${local.api_function}"
      namespace  = "AWS/Lambda"
      metric     = "Duration"
      dimensions = { FunctionName = local.api_function }
    }
  }

  alarm_name          = each.value.name
  alarm_description   = "p99 ${each.value.what} above ${var.payments.alarm_p99_latency_ms} ms in 2 of 3 five-minute periods"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.payments.alarm_p99_latency_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alert_topic_arn]
  ok_actions          = [var.alert_topic_arn]

  tags = var.tags
}

moved {
  from = aws_cloudwatch_metric_alarm.api_latency_p99
  to   = aws_cloudwatch_metric_alarm.p99["api_latency"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_function_duration_p99
  to   = aws_cloudwatch_metric_alarm.p99["api_function_duration"]
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name          = "${local.name}-dynamodb-throttles"
  alarm_description   = "A payments table or index of ${var.env} throttled reads or writes: autoscaling is behind or capacity.max is too low"
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alert_topic_arn]
  ok_actions          = [var.alert_topic_arn]

  metric_query {
    id          = "throttles"
    label       = "Throttle events, all payments tables and indexes"
    expression  = "SUM([${join(", ", [for key in keys(local.throttle_sources) : lower(key)])}])"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.throttle_sources

    content {
      id = lower(metric_query.key)

      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = "${metric_query.value.io}ThrottleEvents"
        dimensions = merge(
          { TableName = metric_query.value.table },
          metric_query.value.index == null ? {} : { GlobalSecondaryIndexName = metric_query.value.index },
        )
        stat   = "Sum"
        period = 300
      }
    }
  }

  tags = var.tags
}

# --- dashboard ---

locals {
  alarm_arns = [
    aws_cloudwatch_metric_alarm.api_5xx.arn,
    aws_cloudwatch_metric_alarm.p99["api_latency"].arn,
    aws_cloudwatch_metric_alarm.p99["api_function_duration"].arn,
    aws_cloudwatch_metric_alarm.dynamodb_throttles.arn,
  ]

  dashboard_widgets = [
    {
      type       = "alarm", x = 0, y = 0, width = 24, height = 3
      properties = { title = "Payments alarms (${var.env})", alarms = local.alarm_arns }
    },
    {
      type = "metric", x = 0, y = 3, width = 8, height = 6
      properties = {
        title = "API requests and errors", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/ApiGateway", "Count", "ApiName", module.api.api_name, "Stage", module.api.stage_name],
          [".", "4XXError", ".", ".", ".", "."],
          [".", "5XXError", ".", ".", ".", "."],
        ]
      }
    },
    {
      type = "metric", x = 8, y = 3, width = 8, height = 6
      properties = {
        title = "API latency p99 (ms)", region = local.region, stat = "p99", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/ApiGateway", "Latency", "ApiName", module.api.api_name, "Stage", module.api.stage_name],
          [".", "IntegrationLatency", ".", ".", ".", "."],
        ]
        annotations = { horizontal = [{ label = "alarm", value = var.payments.alarm_p99_latency_ms }] }
      }
    },
    {
      type = "metric", x = 16, y = 3, width = 8, height = 6
      properties = {
        title = "WAF blocked requests", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/WAFV2", "BlockedRequests", "WebACL", module.waf.web_acl_name, "Region", local.region, "Rule", "ALL"],
          ["...", module.waf.rate_limit_metric_name],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 9, width = 8, height = 6
      properties = {
        title = "Functions: invocations, errors, throttles", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = flatten([
          for fn in [local.api_function, local.worker_function] : [
            ["AWS/Lambda", "Invocations", "FunctionName", fn],
            [".", "Errors", ".", "."],
            [".", "Throttles", ".", "."],
          ]
        ])
      }
    },
    {
      type = "metric", x = 8, y = 9, width = 8, height = 6
      properties = {
        title = "Functions: duration p99 (ms)", region = local.region, stat = "p99", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", local.api_function],
          ["...", local.worker_function],
        ]
      }
    },
    {
      type = "metric", x = 16, y = 9, width = 8, height = 6
      properties = {
        title = "Queue: backlog, age, dead letters", region = local.region, stat = "Maximum", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", module.events.queue_name],
          [".", "ApproximateAgeOfOldestMessage", ".", "."],
          [".", "ApproximateNumberOfMessagesVisible", ".", module.events.dlq_name],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 15, width = 12, height = 6
      properties = {
        title = "Transactions table: consumed vs provisioned capacity", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", module.tables.transactions_table_name, { stat = "Sum", label = "consumed RCU (per minute)" }],
          [".", "ProvisionedReadCapacityUnits", ".", ".", { stat = "Average" }],
          [".", "ConsumedWriteCapacityUnits", ".", ".", { stat = "Sum", label = "consumed WCU (per minute)" }],
          [".", "ProvisionedWriteCapacityUnits", ".", ".", { stat = "Average" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 15, width = 12, height = 6
      properties = {
        title = "Database: CPU and connections", region = local.region, period = 60, view = "timeSeries"
        metrics = [
          ["AWS/RDS", "CPUUtilization", "DBClusterIdentifier", module.database.cluster_id, { stat = "Maximum" }],
          [".", "DatabaseConnections", ".", ".", { stat = "Sum", yAxis = "right" }],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
