# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system               = "infrarep"
cost_center          = "platform"
env                  = "dev"
region               = "us-east-1"
promotion_source_env = null
vpc_cidr             = "10.0.0.0/16"
az_count             = 2
deletion_protection  = false
alert_emails         = []
payments = {
  "lambda_memory_mb"      = 256
  "lambda_timeout_s"      = 30
  "aurora_instance_class" = "db.t4g.medium"
  "aurora_instances"      = 1
  "aurora_io_optimized"   = false
  "waf_rate_limit"        = 500
  "api_rate_limit"        = 50
  "api_burst_limit"       = 100
  "xray_sampling_rate"    = 0.1
  "alarm_error_threshold" = 10
  "alarm_p99_latency_ms"  = 3000
  "table_capacity" = {
    "min" = 5
    "max" = 50
  }
}
allowed_origins = ["https://pay.dev.example.com"]
state_bucket    = "infrarep-tfstate-us-east-1"
control_region  = "us-east-1"
