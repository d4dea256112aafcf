variable "system" {
  type        = string
  description = "Name of the system, for tags."
}

variable "cost_center" {
  type        = string
  description = "CostCenter tag."
}

variable "control_region" {
  type        = string
  description = "Region of the provider configuration (the control plane's region)."
}

variable "bucket_prefix" {
  type        = string
  description = "State buckets are <bucket_prefix>-<region>."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}$", var.bucket_prefix))
    error_message = "bucket_prefix must be 3-41 of [a-z0-9-], got \"${var.bucket_prefix}\"."
  }
}

variable "regions" {
  type        = list(string)
  description = "Every region that holds an environment or the control plane: one state bucket each."

  validation {
    condition     = length(var.regions) > 0 && length(var.regions) == length(distinct(var.regions))
    error_message = "regions must list each region once, got ${jsonencode(var.regions)}."
  }
}

variable "force_destroy" {
  type        = bool
  default     = false
  description = "Let terraform destroy state buckets with their objects: false on real AWS; the local target's generated local_aws.auto.tfvars sets true."
}
