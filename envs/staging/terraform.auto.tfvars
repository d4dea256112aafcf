# Rendered by `infrarep render` from envs/environments.yaml. Do not edit: change the
# YAML and render again (`infrarep render --check` finds stale files).
system               = "infrarep"
cost_center          = "platform"
env                  = "staging"
region               = "us-west-2"
promotion_source_env = "dev"
vpc_cidr             = "10.1.0.0/16"
az_count             = 2
deletion_protection  = true
alert_emails         = []
payments = {
  "lambda_memory_mb"      = 512
  "lambda_timeout_s"      = 30
  "aurora_instance_class" = "db.t4g.medium"
  "aurora_instances"      = 2
  "aurora_io_optimized"   = false
  "waf_rate_limit"        = 500
  "api_rate_limit"        = 100
  "api_burst_limit"       = 200
  "xray_sampling_rate"    = 0.1
  "alarm_error_threshold" = 5
  "alarm_p99_latency_ms"  = 2000
  "table_capacity" = {
    "min" = 5
    "max" = 100
  }
}
allowed_origins = ["https://pay.staging.example.com"]
state_bucket    = "infrarep-tfstate-us-west-2"
control_region  = "us-east-1"
