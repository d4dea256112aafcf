# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system               = "infrarep"
cost_center          = "platform"
env                  = "prod"
region               = "eu-west-1"
promotion_source_env = "staging"
vpc_cidr             = "10.2.0.0/16"
az_count             = 3
deletion_protection  = true
alert_emails         = []
payments = {
  "lambda_memory_mb"      = 1024
  "lambda_timeout_s"      = 30
  "aurora_instance_class" = "db.r6g.large"
  "aurora_instances"      = 3
  "aurora_io_optimized"   = true
  "waf_rate_limit"        = 2000
  "api_rate_limit"        = 1000
  "api_burst_limit"       = 2000
  "xray_sampling_rate"    = 0.05
  "alarm_error_threshold" = 1
  "alarm_p99_latency_ms"  = 1000
  "table_capacity" = {
    "min" = 25
    "max" = 1000
  }
}
allowed_origins = ["https://pay.example.com"]
state_bucket    = "infrarep-tfstate-eu-west-1"
control_region  = "us-east-1"
