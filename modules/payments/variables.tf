variable "name_prefix" {
  type        = string
  description = "Prefix of every name, e.g. \"infrarep-prod\"; the workload's resources are <prefix>-payments[-...]. At most 23 characters: X-Ray rule names stop at 32."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}$", var.name_prefix))
    error_message = "name_prefix must be 2-23 of [a-z0-9-] starting with a letter, got \"${var.name_prefix}\"."
  }
}

variable "env" {
  type        = string
  description = "Name of the environment, e.g. \"prod\"; shown in descriptions and the dashboard, and passed to the functions as ENV."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.env))
    error_message = "env must be 2-16 of [a-z0-9-] starting with a letter, got \"${var.env}\"."
  }
}

variable "payments" {
  type = object({
    lambda_memory_mb      = number
    lambda_timeout_s      = number
    aurora_instance_class = string
    aurora_instances      = number
    aurora_io_optimized   = bool
    waf_rate_limit        = number
    api_rate_limit        = number
    api_burst_limit       = number
    xray_sampling_rate    = number
    alarm_error_threshold = number
    alarm_p99_latency_ms  = number
    table_capacity = object({
      min = number
      max = number
    })
  })
  description = "The workload's per-environment values, exactly environments.yaml's `payments` block (tools/infrarep/config.py PaymentsSettings). Everything else in the workload is the same in every environment."

  validation {
    condition     = var.payments.lambda_memory_mb >= 128 && var.payments.lambda_memory_mb <= 10240
    error_message = "payments.lambda_memory_mb must be 128-10240, got ${var.payments.lambda_memory_mb}."
  }

  validation {
    condition     = var.payments.lambda_timeout_s >= 1 && var.payments.lambda_timeout_s <= 900
    error_message = "payments.lambda_timeout_s must be 1-900, got ${var.payments.lambda_timeout_s}."
  }

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.payments.aurora_instance_class))
    error_message = "payments.aurora_instance_class must look like db.<family>.<size>, e.g. \"db.r6g.large\", got \"${var.payments.aurora_instance_class}\"."
  }

  validation {
    condition     = var.payments.aurora_instances >= 1 && var.payments.aurora_instances <= 15 && floor(var.payments.aurora_instances) == var.payments.aurora_instances
    error_message = "payments.aurora_instances must be a whole number from 1 to 15, got ${var.payments.aurora_instances}."
  }

  validation {
    condition     = var.payments.waf_rate_limit >= 100 && floor(var.payments.waf_rate_limit) == var.payments.waf_rate_limit
    error_message = "payments.waf_rate_limit must be a whole number of at least 100 requests per IP per minute, got ${var.payments.waf_rate_limit}."
  }

  validation {
    condition     = var.payments.api_rate_limit >= 1 && var.payments.api_burst_limit >= var.payments.api_rate_limit
    error_message = "payments.api_rate_limit must be at least 1 and api_burst_limit at least the rate, got rate ${var.payments.api_rate_limit}, burst ${var.payments.api_burst_limit}."
  }

  validation {
    condition     = var.payments.xray_sampling_rate >= 0 && var.payments.xray_sampling_rate <= 1
    error_message = "payments.xray_sampling_rate is a fraction from 0 to 1 (0.05 = 5%), got ${var.payments.xray_sampling_rate}."
  }

  validation {
    condition     = var.payments.alarm_error_threshold >= 1
    error_message = "payments.alarm_error_threshold must be at least 1 error per 5 minutes, got ${var.payments.alarm_error_threshold}."
  }

  validation {
    condition     = var.payments.alarm_p99_latency_ms >= 1
    error_message = "payments.alarm_p99_latency_ms must be at least 1, got ${var.payments.alarm_p99_latency_ms}."
  }

  validation {
    condition     = var.payments.table_capacity.min >= 1 && var.payments.table_capacity.min <= var.payments.table_capacity.max
    error_message = "payments.table_capacity needs 1 <= min <= max, got min ${var.payments.table_capacity.min}, max ${var.payments.table_capacity.max}."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "The environment's KMS key: tables, queues, bus, logs, database, secrets. Its policy must admit the logs, events, sqs, dynamodb, lambda and cloudwatch services."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "vpc_id" {
  type        = string
  description = "The environment's VPC."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets, one per availability zone, for the functions and the database."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two subnets (the database spans zones), got ${length(var.subnet_ids)}."
  }
}

variable "function_security_group_id" {
  type        = string
  description = "Security group of the functions (the network module's); the database admits PostgreSQL from it only."
}

variable "alert_topic_arn" {
  type        = string
  description = "SNS topic every workload alarm notifies."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN, got \"${var.alert_topic_arn}\"."
  }
}

variable "lambda_packages" {
  type        = map(string)
  description = "Zip path of each workload function built by `infrarep package`: payments_api, payments_worker."

  validation {
    condition     = alltrue([for name in ["payments_api", "payments_worker"] : contains(keys(var.lambda_packages), name)])
    error_message = "lambda_packages needs payments_api and payments_worker, got ${jsonencode(keys(var.lambda_packages))}."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the tables and the database from deletion (staging, prod). Without it the database is deleted without a final snapshot: a throwaway environment."
}

variable "allowed_origins" {
  type        = list(string)
  description = "Browser origins allowed by the API's CORS, e.g. [\"https://pay.example.com\"]. Empty: no CORS."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
