using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Vae.Web.Tests;

public class PageTests(WebApplicationFactory<Program> factory) : IClassFixture<WebApplicationFactory<Program>>
{
    [Fact]
    public async Task The_service_serves_the_demo_page_at_the_root()
    {
        var response = await factory.CreateClient().GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>", await response.Content.ReadAsStringAsync());
    }
}
