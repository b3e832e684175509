namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// A webhook could not be called or answered with something that is not a valid AdmissionReview (upstream's
/// ErrCallingWebhook). The webhook's failurePolicy decides whether the request fails; the message is upstream's reason text
/// ("failed to call webhook: Post ...: context deadline exceeded").
/// </summary>
internal sealed class WebhookCallException : Exception
{
    public WebhookCallException()
    {
    }

    public WebhookCallException(string message)
        : base(message)
    {
    }

    public WebhookCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
