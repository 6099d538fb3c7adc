# SPDX-License-Identifier: MIT
# fngate's Ruby runtime (runtime ruby3.3 and friends): fngate runs
# `ruby $LAMBDA_RUNTIME_DIR/ruby/bootstrap.rb` on Debian's ruby, and this file loads _HANDLER
# from LAMBDA_TASK_ROOT and serves it over the AWS Lambda Runtime API as Lambda's own Ruby
# runtime does. It exists because AWS's runtime (the aws_lambda_ric gem) is not packaged by
# Debian and pulls in bundler; this is the same loop in one file, standard library only
# (net/http, json), so a Ruby function needs no gem install.
#
# What it copies from aws_lambda_ric (lib/aws_lambda_ric*.rb), so code written for Lambda
# runs unchanged:
# - _HANDLER is FILE.METHOD (a top-level method of FILE.rb) or FILE.CLASS.METHOD (a class
#   method; CLASS may be nested, Module::Class); it is called as METHOD(event:, context:).
#   The event is the parsed JSON; the result goes back as to_json (an IO/StringIO is sent
#   as its bytes, application/unknown).
# - context: aws_request_id, invoked_function_arn, deadline_ms, get_remaining_time_in_millis,
#   function_name, function_version, memory_limit_in_mb (a string), log_group_name,
#   log_stream_name, identity, client_context (parsed JSON or nil), tenant_id.
#   _X_AMZN_TRACE_ID is set per invocation from Lambda-Runtime-Trace-Id.
# - Errors: {"errorMessage", "errorType": "Function<RuntimeError>", "stackTrace": [...]},
#   the trace being the backtrace's "file:line:in `method'" strings up to this file's
#   frames. Lambda-Runtime-Function-Error-Type is that type for Ruby's basic errors
#   (ArgumentError, NoMethodError, NameError, ...) and Function<UserException> for any
#   other class, as AWS sends it. NoMethodError, NameError and non-StandardError
#   exceptions are critical: the error is posted, then the process exits (status 255).
#   Anything raised while FILE.rb loads (LoadError, SyntaxError, ...) is an init error,
#   errorType Init<Class>, posted to /runtime/init/error; the process exits with 252.
# - stdout is the function's log, unbuffered; each error is also logged there.
require 'json'
require 'net/http'
require 'stringio'

$stdout.sync = true
$stderr.sync = true

# An exception in the shape aws_lambda_ric posts it (lambda_errors.rb).
class LambdaError < StandardError
  BASIC = %w[ArgumentError NoMethodError Exception StandardError NameError LoadError SystemExit
             SystemStackError].freeze

  attr_reader :critical

  def initialize(original, classification = 'Function', critical: false)
    @classification = classification
    @class_name = original.class.to_s
    @message = original.message
    @trace = []
    # Frames up to the first of this file's: what the function's own code did.
    (original.backtrace_locations || []).first(100).each do |loc|
      break if loc.absolute_path == __FILE__ || loc.path == __FILE__
      @trace << loc.to_s
    end
    @critical = critical
    super(@message)
  end

  def error_type
    "#{@classification}<#{@class_name}>"
  end

  # Lambda-Runtime-Function-Error-Type: what AWS's client puts there.
  def header_type
    BASIC.include?(@class_name) ? error_type : 'Function<UserException>'
  end

  def to_lambda_response
    { errorMessage: @message, errorType: error_type, stackTrace: @trace }
  end
end

# Lambda's Ruby context object (lambda_context.rb).
class LambdaContext
  attr_reader :aws_request_id, :invoked_function_arn, :log_group_name, :log_stream_name,
              :function_name, :memory_limit_in_mb, :function_version, :identity, :tenant_id,
              :client_context, :deadline_ms

  def initialize(headers)
    @deadline_ms = headers['Lambda-Runtime-Deadline-Ms'].to_i
    @aws_request_id = headers['Lambda-Runtime-Aws-Request-Id']
    @invoked_function_arn = headers['Lambda-Runtime-Invoked-Function-Arn']
    @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
    @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
    @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
    @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
    @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
    @identity = parse(headers['Lambda-Runtime-Cognito-Identity'])
    @tenant_id = headers['Lambda-Runtime-Aws-Tenant-Id'] unless headers['Lambda-Runtime-Aws-Tenant-Id'].to_s.empty?
    @client_context = parse(headers['Lambda-Runtime-Client-Context'])
  end

  def get_remaining_time_in_millis
    remaining = @deadline_ms - Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond)
    remaining.positive? ? remaining : 0
  end

  private

  def parse(value)
    JSON.parse(value) unless value.to_s.empty?
  end
end

# The Runtime API, on one keep-alive connection to fngate.
class RuntimeApi
  BASE = '/2018-06-01/runtime'

  def initialize(address)
    host, port = address.split(':')
    @http = Net::HTTP.new(host, port.to_i)
    @http.read_timeout = nil # GET /next waits as long as there is no event
    @http.keep_alive_timeout = 3600
    @headers = { 'User-Agent' => "aws-lambda-ruby/#{RUBY_VERSION}-fngate" }
  end

  def next_invocation
    resp = @http.request(Net::HTTP::Get.new("#{BASE}/invocation/next", @headers))
    raise "Received #{resp.code} when waiting for next invocation." unless resp.is_a?(Net::HTTPSuccess)

    resp
  end

  def respond(request_id, body, content_type)
    post("#{BASE}/invocation/#{request_id}/response", body, 'Content-Type' => content_type)
  end

  def error(request_id, err)
    post("#{BASE}/invocation/#{request_id}/error", err.to_lambda_response.to_json,
         'Lambda-Runtime-Function-Error-Type' => err.header_type)
  end

  def init_error(err)
    post("#{BASE}/init/error", err.to_lambda_response.to_json, 'Lambda-Runtime-Function-Error-Type' => err.header_type)
  end

  private

  def post(path, body, headers)
    req = Net::HTTP::Post.new(path, @headers.merge(headers))
    req.body = body
    @http.request(req)
  end
end

def log_error(err, message)
  puts message
  puts JSON.pretty_generate(err.to_lambda_response)
end

handler = ENV['_HANDLER']
if handler.nil?
  puts 'No handler specified, exiting Runtime Interface Client.'
  exit
end
api = RuntimeApi.new(ENV.fetch('AWS_LAMBDA_RUNTIME_API'))
task_root = ENV['LAMBDA_TASK_ROOT'] || Dir.pwd
$LOAD_PATH.unshift(task_root) unless $LOAD_PATH.include?(task_root)

begin
  parts = handler.split('.')
  unless [2, 3].include?(parts.size)
    raise ArgumentError, "Invalid handler #{parts}, must be of form FILENAME.METHOD or FILENAME.CLASS.METHOD " \
                         'where FILENAME corresponds with an existing Ruby source file FILENAME.rb, CLASS is an ' \
                         'optional module/class namespace and METHOD is a callable method. If using CLASS, METHOD ' \
                         'must be a class-level method.'
  end
  file, klass, meth = parts.size == 3 ? parts : [parts[0], nil, parts[1]]
  require file
rescue Exception => e # rubocop:disable Lint/RescueException: whatever the code raises at load
  init_err = LambdaError.new(e, 'Init')
  log_error(init_err, "Init error when loading handler #{handler}")
  api.init_error(init_err)
  exit(-4)
end

# One invocation: the handler's answer is posted, or the error it raised (returned).
def invoke(api, resp, klass, meth)
  request_id = resp['Lambda-Runtime-Aws-Request-Id']
  event = resp['Content-Type'] == 'application/json' ? JSON.parse(resp.body) : resp.body
  target = klass ? Kernel.const_get(klass) : self
  result = target.__send__(meth, event: event, context: LambdaContext.new(resp))
  if result.is_a?(IO) || result.is_a?(StringIO)
    api.respond(request_id, result.read, 'application/unknown')
  else
    api.respond(request_id, result.to_json, 'application/json')
  end
  nil
rescue NoMethodError, NameError => e # a missing handler, a typo: critical, as in AWS's client
  LambdaError.new(e, critical: true)
rescue StandardError => e
  LambdaError.new(e)
rescue Exception => e # rubocop:disable Lint/RescueException: exit, SystemStackError, ...
  LambdaError.new(e, critical: true)
end

loop do
  resp = api.next_invocation
  $_global_aws_request_id = resp['Lambda-Runtime-Aws-Request-Id']
  trace_id = resp['Lambda-Runtime-Trace-Id']
  trace_id ? ENV['_X_AMZN_TRACE_ID'] = trace_id : ENV.delete('_X_AMZN_TRACE_ID')
  err = invoke(api, resp, klass, meth)
  next unless err

  log_error(err, err.critical ? 'Critical exception from handler' : 'Error raised from handler method')
  api.error($_global_aws_request_id, err)
  exit(-1) if err.critical
end
