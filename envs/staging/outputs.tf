output "stack" {
  description = "What the stack exposes: ledger, config store, key, topics, functions, VPC."
  value = {
    ledger_table_name = module.stack.ledger_table_name
    config_bucket     = module.stack.config_bucket
    kms_key_arn       = module.stack.kms_key_arn
    topic_arns        = module.stack.topic_arns
    function_names    = module.stack.function_names
    vpc_id            = module.stack.vpc_id
  }
}
