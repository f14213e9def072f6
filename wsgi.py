from factcheck import create_app

app = create_app()
