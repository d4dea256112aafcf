variable "name" {
  type        = string
  description = "Cluster identifier, e.g. \"infrarep-prod-payments\"; also names the instances (<name>-1, ...), subnet group, security group and parameter group."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,50}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-52 of [a-z0-9-], start with a letter, not end with or contain \"--\" (RDS identifier rules), got \"${var.name}\"."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the subnets; the cluster's security group lives here."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets, one per availability zone; instances are spread over their zones in order."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs subnets in at least two availability zones (an RDS subnet group rule), got ${length(var.subnet_ids)}."
  }
}

variable "client_security_group_ids" {
  type        = map(string)
  description = "Security groups allowed to connect on 5432, by a name for the client, e.g. { payments_functions = \"sg-0123\" }. Nothing else can reach the cluster."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the storage, the master user secret, Performance Insights and the exported logs."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, got \"${var.kms_key_arn}\"."
  }
}

variable "instance_class" {
  type        = string
  description = "Instance class of every instance, e.g. \"db.r6g.large\". Aurora PostgreSQL offers no micro or small classes."

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>, e.g. \"db.t4g.medium\", got \"${var.instance_class}\"."
  }

  validation {
    condition     = !can(regex("^db\\.t[0-9]+g?\\.(micro|small)$", var.instance_class))
    error_message = "instance_class ${var.instance_class} does not exist for Aurora PostgreSQL; the smallest burstable classes are db.t3.medium and db.t4g.medium."
  }
}

variable "instance_count" {
  type        = number
  description = "Instances in the cluster: one writer plus readers (1-15); with as many subnets, one per availability zone."

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 15 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 1 to 15, got ${var.instance_count}."
  }
}

variable "io_optimized" {
  type        = bool
  description = "Aurora I/O-Optimized storage (aurora-iopt1: no per-I/O charges) instead of standard (aurora)."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse DeleteDBCluster while true (staging and prod)."
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic that hears the CPU alarm."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN, got \"${var.alarm_topic_arn}\"."
  }
}

variable "engine_version" {
  type        = string
  description = "Aurora PostgreSQL version. The major version alone (\"15\") lets RDS pick the default minor and apply minor upgrades without a plan diff; a pinned minor turns every automatic upgrade into a diff."
  default     = "15"

  validation {
    condition     = can(regex("^15(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be Aurora PostgreSQL 15 (\"15\" or \"15.<minor>\"), got \"${var.engine_version}\"."
  }
}

variable "database_name" {
  type        = string
  description = "Name of the database created in the cluster."
  default     = "payments"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be 1-63 of [a-z0-9_] starting with a letter, got \"${var.database_name}\"."
  }
}

variable "master_username" {
  type        = string
  description = "Name of the master user. Its password is generated and kept by RDS in Secrets Manager; it never passes through Terraform."
  default     = "payments_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.master_username)) && !contains(["admin", "postgres", "rdsadmin"], var.master_username)
    error_message = "master_username must be 1-16 of [a-z0-9_] starting with a letter and not a reserved name (admin, postgres, rdsadmin), got \"${var.master_username}\"."
  }
}

variable "skip_final_snapshot" {
  type        = bool
  description = "Delete without a final snapshot (throwaway environments only). Otherwise destroying takes snapshot <name>-final."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the provider's default tags."
  default     = {}
}
