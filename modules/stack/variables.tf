variable "system" {
  type        = string
  description = "Name of the system; first part of every resource name, e.g. \"infrarep\"."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.system))
    error_message = "system must be 2-21 of [a-z0-9-] starting with a letter, got \"${var.system}\"."
  }
}

variable "env" {
  type        = string
  description = "Name of this environment, e.g. \"staging\"."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.env))
    error_message = "env must be 2-16 of [a-z0-9-] starting with a letter, got \"${var.env}\"."
  }
}

variable "promotion_source_env" {
  type        = string
  description = "The environment this one is promoted from (its drift validator compares against it); null for the first."
  default     = null
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 range of this environment's VPC (/20 or larger)."
}

variable "az_count" {
  type        = number
  description = "How many availability zones the private subnets span."
}

variable "deletion_protection" {
  type        = bool
  description = "Protect stateful resources (ledger, database) from deletion."
}

variable "alert_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the drift, validation and rollback topics. Empty by default."
  default     = []
}

variable "lambda_packages" {
  type        = map(string)
  description = "Zip path of each function built by `infrarep package`, by name: the stack's own (the keys of its `local.functions`) and the workload's, which the stack passes on to the payments module."

  validation {
    condition     = alltrue([for name, zip_path in var.lambda_packages : endswith(zip_path, ".zip")])
    error_message = "lambda_packages maps each function to the path of its zip, got ${jsonencode(var.lambda_packages)}."
  }
}

variable "state_bucket" {
  type        = string
  description = "Remote-state bucket of this environment's region; a change of this env's state object is a stack update."
}

variable "control_region" {
  type        = string
  description = "Region of the control plane (terraform/control_plane), whose deploy build applies a rollback: when it is not this env's region, the env's RollbackAccepted events are forwarded to its default bus."

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.control_region))
    error_message = "control_region must be an AWS region such as \"us-east-1\", got \"${var.control_region}\"."
  }
}

variable "control_account_id" {
  type        = string
  description = "AWS account of the control plane (terraform/control_plane). When it is not this environment's account, the config store and its key let the control plane's replication role deliver, and accepted rollbacks are forwarded to that account's bus. null: this environment's own account."
  default     = null

  validation {
    condition     = var.control_account_id == null || can(regex("^[0-9]{12}$", var.control_account_id))
    error_message = "control_account_id must be 12 digits, got ${jsonencode(var.control_account_id)}."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let terraform destroy buckets with their objects (throwaway environments only)."
  default     = false
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
  description = "The payments workload's per-environment limits, environments.yaml's `payments` block; the payments module validates each value."
}

variable "allowed_origins" {
  type        = list(string)
  description = "Browser origins the payments API's CORS allows, e.g. [\"https://pay.example.com\"]. Empty: no CORS."
  default     = []
}
