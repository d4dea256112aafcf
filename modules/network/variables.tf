variable "name_prefix" {
  type        = string
  description = "Prefix of every name, e.g. \"infrarep-dev\"."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 2-41 of [a-z0-9-] starting with a letter, got \"${var.name_prefix}\"."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 range of this environment's VPC, e.g. \"10.20.0.0/16\". Subnets are cut from it, so /20 is the smallest allowed."

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be an IPv4 CIDR of /20 or larger, got \"${var.vpc_cidr}\"."
  }
}

variable "az_count" {
  type        = number
  description = "How many availability zones get a private subnet (2-6)."

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6
    error_message = "az_count must be 2-6, got ${var.az_count}."
  }
}

variable "interface_endpoints" {
  type        = list(string)
  description = "AWS services reached through interface endpoints with private DNS (no NAT): every service the functions call that has no gateway endpoint."
  default     = ["lambda", "sns", "sqs", "events", "sts", "logs", "states", "kms", "monitoring", "secretsmanager", "xray"]

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoints are service short names such as \"sns\", got ${jsonencode(var.interface_endpoints)}."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the flow-log group."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days VPC flow logs are kept."
  default     = 30
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
