# Set by the rendered terraform.auto.tfvars (from envs/environments.yaml) ...
variable "system" {
  type        = string
  description = "Name of the system, the first part of every resource name."
}

variable "cost_center" {
  type        = string
  description = "CostCenter tag of every resource."
}

variable "env" {
  type        = string
  description = "Name of this environment."
}

variable "region" {
  type        = string
  description = "AWS region of this environment."
}

variable "promotion_source_env" {
  type        = string
  description = "The environment this one is promoted from; null for the first."
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 range of this environment's VPC."
}

variable "az_count" {
  type        = number
  description = "How many availability zones the private subnets span."
}

variable "deletion_protection" {
  type        = bool
  description = "Protect stateful resources from deletion."
}

variable "alert_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the alert topics."
}

variable "state_bucket" {
  type        = string
  description = "Remote-state bucket of this region."
}

variable "control_region" {
  type        = string
  description = "Region of the control plane (promotion pipeline, release bundles)."
}

variable "account_id" {
  type        = string
  default     = null
  description = "AWS account of this environment; the provider refuses any other. null: the account the caller's credentials reach."

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits, got ${jsonencode(var.account_id)}."
  }
}

variable "deployer_role_arn" {
  type        = string
  default     = null
  description = "Role in account_id the provider assumes to plan and apply this environment. null: the caller's credentials as they are."

  validation {
    condition     = var.deployer_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.deployer_role_arn))
    error_message = "deployer_role_arn must be an IAM role ARN, got ${jsonencode(var.deployer_role_arn)}."
  }
}

variable "control_account_id" {
  type        = string
  default     = null
  description = "AWS account of the control plane, whose config store replicates into this environment's. null: this environment's own account."
}

variable "force_destroy" {
  type        = bool
  default     = false
  description = "Let terraform destroy buckets with their objects: false on real AWS; the local target's generated local_aws.auto.tfvars sets true."
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
  description = "The payments workload's limits in this environment."
}

variable "allowed_origins" {
  type        = list(string)
  description = "Browser origins the payments API's CORS allows."
}

# ... and by the release file `infrarep plan`/`deploy` pass for each run.
variable "release_version" {
  type        = string
  description = "Version being deployed (a git commit or --version); the Version tag."
}

variable "source_commit" {
  type        = string
  description = "Git commit of the configuration being deployed; the SourceCommit tag."
}
