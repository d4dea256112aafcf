locals {
  function_environment = {
    ENV                  = var.env
    SOURCE_ENV           = coalesce(var.promotion_source_env, var.env)
    LEDGER_TABLE         = module.ledger.table_name
    CONFIG_BUCKET        = module.config_store.bucket_name
    DRIFT_TOPIC_ARN      = module.notifications.drift_topic_arn
    VALIDATION_TOPIC_ARN = module.notifications.validation_topic_arn
    ROLLBACK_TOPIC_ARN   = module.notifications.rollback_topic_arn
    METRICS_NAMESPACE    = local.metrics_namespace
  }

  read_config_store = {
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"]
    resources = [module.config_store.bucket_arn, "${module.config_store.bucket_arn}/*"]
  }
  read_ledger = {
    actions   = ["dynamodb:Query", "dynamodb:GetItem"]
    resources = [module.ledger.table_arn, module.ledger.version_index_arn]
  }
  write_ledger = {
    actions   = ["dynamodb:PutItem"]
    resources = [module.ledger.table_arn]
  }
  put_metrics = {
    # PutMetricData has no resource-level permissions; AWS requires "*".
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
  }

  function_permissions = {
    deployment_recorder = {
      WriteLedger = local.write_ledger
      PutMetrics  = local.put_metrics
    }
    drift_validator = {
      ReadConfigStore = local.read_config_store
      ReadLedger      = local.read_ledger
      PutMetrics      = local.put_metrics
      Notify = {
        actions   = ["sns:Publish"]
        resources = [module.notifications.drift_topic_arn, module.notifications.validation_topic_arn]
      }
      ReportPipelineJobs = {
        # CodePipeline job results have no resource-level permissions; AWS requires "*".
        actions   = ["codepipeline:PutJobSuccessResult", "codepipeline:PutJobFailureResult"]
        resources = ["*"]
      }
    }
    rollback_executor = {
      ReadLedger = local.read_ledger
      # The REQUESTED row, and taking it back when the RollbackAccepted event could not be put.
      RecordRequest = {
        actions   = ["dynamodb:PutItem", "dynamodb:DeleteItem"]
        resources = [module.ledger.table_arn]
      }
      # RollbackAccepted, on this region's bus only: the function has no route out of its region.
      AcceptRollback = {
        actions   = ["events:PutEvents"]
        resources = [local.default_bus_arn]
      }
      Notify = {
        actions   = ["sns:Publish"]
        resources = [module.notifications.rollback_topic_arn]
      }
    }
  }
}

module "function" {
  source   = "../lambda_function"
  for_each = local.functions

  name                 = "${local.name}-${replace(each.key, "_", "-")}"
  description          = each.value
  package              = { zip_path = var.lambda_packages[each.key] }
  memory_mb            = 256
  timeout_s            = 60
  reserved_concurrency = 5
  environment          = local.function_environment
  subnet_ids           = module.network.private_subnet_ids
  security_group_ids   = [module.network.function_security_group_id]
  kms_key_arn          = module.key.key_arn
  log_retention_days   = local.log_retention_days
  policy_statements    = local.function_permissions[each.key]
  alarm_topic_arn      = module.notifications.validation_topic_arn
}
