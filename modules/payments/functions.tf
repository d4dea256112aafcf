locals {
  functions = {
    payments_api = {
      description = "Accepts payments for ${var.env}: validates, records once per Idempotency-Key, announces payment.created"
      # About 1000 requests per second at 100 ms each; the stage throttles before this.
      reserved_concurrency = 100
      permissions = {
        RecordTransactions = {
          actions   = ["dynamodb:PutItem", "dynamodb:GetItem"]
          resources = [module.tables.transactions_table_arn]
        }
        AppendAudit          = module.tables.audit_writer_statements.AppendAudit
        PublishPaymentEvents = module.events.publisher_statements.PublishPaymentEvents
      }
    }
    payments_worker = {
      description          = "Processes payment.created events of ${var.env} from the queue, reporting failed messages only"
      reserved_concurrency = local.worker_concurrency
      permissions = {
        SettleTransactions = {
          actions   = ["dynamodb:UpdateItem"]
          resources = [module.tables.transactions_table_arn]
        }
        AppendAudit  = module.tables.audit_writer_statements.AppendAudit
        ConsumeQueue = module.events.consumer_statements.ConsumeQueue
      }
    }
  }

  worker_concurrency = 10

  function_environment = {
    ENV                = var.env
    TRANSACTIONS_TABLE = module.tables.transactions_table_name
    AUDIT_TABLE        = module.tables.audit_table_name
    EVENT_BUS_NAME     = module.events.bus_name
    ALLOWED_ORIGINS    = join(",", var.allowed_origins)
  }
}

module "function" {
  source   = "../lambda_function"
  for_each = local.functions

  name                  = "${local.name}-${replace(trimprefix(each.key, "payments_"), "_", "-")}"
  description           = each.value.description
  package               = { zip_path = var.lambda_packages[each.key] }
  memory_mb             = var.payments.lambda_memory_mb
  timeout_s             = var.payments.lambda_timeout_s
  reserved_concurrency  = each.value.reserved_concurrency
  environment           = local.function_environment
  subnet_ids            = var.subnet_ids
  security_group_ids    = [var.function_security_group_id]
  kms_key_arn           = var.kms_key_arn
  log_retention_days    = local.log_retention_days
  policy_statements     = each.value.permissions
  alarm_topic_arn       = var.alert_topic_arn
  error_alarm_threshold = var.payments.alarm_error_threshold
  tags                  = var.tags
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn                   = module.events.queue_arn
  function_name                      = module.function["payments_worker"].function_arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 1
  function_response_types            = ["ReportBatchItemFailures"]

  # Never more pollers than the function may run, or throttled batches count as receives.
  scaling_config {
    maximum_concurrency = local.worker_concurrency
  }

  tags = var.tags
}
